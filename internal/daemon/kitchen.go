package daemon

import (
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/kitchen"
)

// menuCategories answers kitchen routing's "which category is this item
// in?" from the newest menu the cloud pushed, re-read at most every 30 s
// (a pushed menu reaches the stations within that).
func menuCategories(b **bridge.Bridge) kitchen.CategoryFunc {
	var (
		mu     sync.Mutex
		read   time.Time
		byItem map[string][2]string
	)
	return func(itemID string) (string, string) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(read) > 30*time.Second && *b != nil {
			read = time.Now()
			if m, err := (*b).LatestMenu(); err == nil && m != nil {
				names := map[string]string{}
				for _, c := range m.Categories {
					names[c.ID] = c.Name
				}
				byItem = make(map[string][2]string, len(m.Items))
				for _, it := range m.Items {
					byItem[it.ID] = [2]string{it.CategoryID, names[it.CategoryID]}
				}
			}
		}
		c := byItem[itemID]
		return c[0], c[1]
	}
}
