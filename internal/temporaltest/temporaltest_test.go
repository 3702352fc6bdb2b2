package temporaltest

import (
	"regexp"
	"testing"
)

// A namespace on an external server is named after the test: Temporal accepts only letters,
// digits, "-", "_" and ".", and names runs must not share.
func TestNamespaceFor(t *testing.T) {
	valid := regexp.MustCompile(`^t-[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9a-f]{8}$`)
	tests := []struct {
		test string
		want *regexp.Regexp
	}{
		{"TestCampaign", regexp.MustCompile(`^t-testcampaign-[0-9a-f]{8}$`)},
		{"TestDrills/SendGridFailures", regexp.MustCompile(`^t-testdrills-sendgridfailures-[0-9a-f]{8}$`)},
		{"TestCampaign/resumes_after_a_worker_dies_mid-page:_everyone_emailed_once", regexp.MustCompile(`^t-testcampaign-resumes-after-a-worker-dies-mid-page--everyone-[0-9a-f]{8}$`)},
		{"Test/ünïcode and spaces", regexp.MustCompile(`^t-test--n-code-and-spaces-[0-9a-f]{8}$`)},
	}
	for _, tt := range tests {
		got := namespaceFor(tt.test)
		if !tt.want.MatchString(got) || !valid.MatchString(got) {
			t.Errorf("namespaceFor(%q) = %q, want a match of %s", tt.test, got, tt.want)
		}
		if again := namespaceFor(tt.test); again == got {
			t.Errorf("namespaceFor(%q) gave %q twice; runs would share a namespace", tt.test, got)
		}
	}
}
