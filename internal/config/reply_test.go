package config_test

import (
	"strings"
	"testing"

	"github.com/tailorhq/tailor/internal/config"
)

func TestReplyDomain(t *testing.T) {
	tests := []struct {
		value, want, wantErr string
	}{
		{"", "", ""},
		{"reply.shop.example", "reply.shop.example", ""},
		{" Reply.Shop.Example. ", "reply.shop.example", ""},
		{"reply+x@shop.example", "", "not a mail domain"},
		{"https://reply.shop.example", "", "not a mail domain"},
		{"localhost", "", "not a mail domain"},
		{"-bad.example", "", "not a mail domain"},
	}
	for _, tt := range tests {
		env := map[string]string{"LINK_SECRET": "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6", "REPLY_DOMAIN": tt.value}
		w, err := config.LoadWorker(func(k string) string { return env[k] })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), "REPLY_DOMAIN") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("REPLY_DOMAIN=%q: error %v, want one naming REPLY_DOMAIN and %q", tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("REPLY_DOMAIN=%q: %v", tt.value, err)
			continue
		}
		if w.ReplyDomain != tt.want {
			t.Errorf("REPLY_DOMAIN=%q: got %q, want %q", tt.value, w.ReplyDomain, tt.want)
		}
	}
}
