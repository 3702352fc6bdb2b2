package workflows

import "strings"

// CustomerIDOf is the customer whose workflow workflowID is (CustomerWorkflowID's inverse), and
// false for every other workflow. The payload codec uses it to encrypt a customer's payloads with
// the customer's own data key (internal/codec, datakeys.go).
func CustomerIDOf(workflowID string) (string, bool) {
	id, ok := strings.CutPrefix(workflowID, CustomerWorkflowID(""))
	return id, ok && id != ""
}
