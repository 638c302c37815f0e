package toast

import (
	"encoding/json"
	"testing"
)

// FuzzIndexMenus: any menus API answer that decodes indexes without
// panicking, every item found by name is indexed with its group, and every
// option found by name with its option group.
func FuzzIndexMenus(f *testing.F) {
	f.Add([]byte(`{"menus":[{"menuGroups":[{"guid":"g1","menuItems":[{"guid":"i1","name":"Latte"},{"guid":"i2","name":" latte "}],` +
		`"menuGroups":[{"guid":"g2","menuItems":[{"guid":"i3","name":"Tea"},{"guid":"i1","name":"Latte"}]}]}]}],` +
		`"modifierGroupReferences":{"10":{"guid":"og1","modifierOptionReferences":[1,2,7]}},` +
		`"modifierOptionReferences":{"1":{"guid":"o1","name":"Oat milk"},"2":{"guid":"","name":"x"}}}`))
	f.Add([]byte(`{"menus":null,"modifierGroupReferences":{"1":{"modifierOptionReferences":[1.5,"a"]}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m toastMenus
		if json.Unmarshal(b, &m) != nil {
			return
		}
		ix := indexMenus(&m)
		for name, guids := range ix.byName {
			for _, g := range guids {
				if _, ok := ix.group[g]; !ok {
					t.Fatalf("item %s (%q) has no group", g, name)
				}
			}
		}
		for name, guids := range ix.optName {
			for _, g := range guids {
				if _, ok := ix.options[g]; !ok {
					t.Fatalf("option %s (%q) has no option group", g, name)
				}
			}
		}
	})
}
