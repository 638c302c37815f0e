package parse

import "github.com/auraconnect/aura-edge/internal/model"

func testSource() model.Source {
	return model.Source{Vendor: "terminal:test", ExternalID: "r1"}
}
