package cloud

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/command"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// Topic levels under the prefix.
const (
	topicStatus     = "status"
	topicCmd        = "cmd"
	topicCmdResults = "cmd-results"
)

// streamTopic maps an outbox stream to its topic under the prefix.
func streamTopic(s outbox.Stream) string {
	if s == outbox.CmdResults {
		return topicCmdResults
	}
	return "events/" + string(s)
}

// sendOrder is the order in which the sender serves streams each round:
// money first, then answers to the cloud, then the rest.
var sendOrder = []outbox.Stream{outbox.Orders, outbox.Payments, outbox.CmdResults, outbox.SyncLogs, outbox.Telemetry}

// appendEvent appends row as a CloudEvents 1.0 structured JSON envelope:
//
//	{"specversion":"1.0","id":…,"source":"aura-edge://<store>","type":…,
//	 "subject":…,"time":…,"datacontenttype":"application/json",
//	 "sequence":<SubjectSeq>,"data":<raw JSON>}
//
// Data that is not valid JSON is sent as data_base64 with
// datacontenttype application/octet-stream rather than dropped.
func appendEvent(b []byte, source string, r *outbox.Row) []byte {
	b = append(b, `{"specversion":"1.0","id":`...)
	b = command.AppendJSONString(b, r.ID)
	b = append(b, `,"source":`...)
	b = command.AppendJSONString(b, source)
	b = append(b, `,"type":`...)
	b = command.AppendJSONString(b, r.Type)
	if r.Subject != "" {
		b = append(b, `,"subject":`...)
		b = command.AppendJSONString(b, r.Subject)
	}
	b = append(b, `,"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if r.SubjectSeq > 0 {
		b = append(b, `,"sequence":`...)
		b = strconv.AppendUint(b, r.SubjectSeq, 10)
	}
	switch {
	case len(r.Data) == 0:
		b = append(b, `,"datacontenttype":"application/json","data":null}`...)
	case validJSON(r.Data):
		b = append(b, `,"datacontenttype":"application/json","data":`...)
		b = append(b, r.Data...)
		b = append(b, '}')
	default:
		b = append(b, `,"datacontenttype":"application/octet-stream","data_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Data)
		b = append(b, `"}`...)
	}
	return b
}
