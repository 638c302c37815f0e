package localapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestReadBody: the pooled reader gives what io.ReadAll over
// http.MaxBytesReader gave, with and without a Content-Length, at the
// edges of its buffer and of the limit, and with recycled buffers.
func TestReadBody(t *testing.T) {
	const limit = 4096
	for _, size := range []int{0, 1, 511, 512, 513, 1024, 1025, limit - 1, limit, limit + 1, 3 * limit} {
		for _, known := range []bool{true, false} {
			want := bytes.Repeat([]byte("abcdefg"), size/7+1)[:size]
			r := httptest.NewRequest("POST", "/", io.MultiReader(bytes.NewReader(want)))
			if known {
				r.ContentLength = int64(size)
			} else {
				r.ContentLength = -1
			}
			buf, err := readBody(httptest.NewRecorder(), r, limit)
			var mbe *http.MaxBytesError
			switch {
			case size > limit && !errors.As(err, &mbe):
				t.Errorf("size %d known %v: err %v, want a MaxBytesError", size, known, err)
			case size <= limit && err != nil:
				t.Errorf("size %d known %v: %v", size, known, err)
			case size <= limit && !bytes.Equal(*buf, want):
				t.Errorf("size %d known %v: read %d bytes that differ", size, known, len(*buf))
			}
			releaseBody(buf)
		}
	}
}
