package config_test

import (
	"strings"
	"testing"

	"github.com/tailorhq/tailor/internal/config"
)

func TestShopSettings(t *testing.T) {
	const secret = "9b1f3e7a2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // each must appear; none: no error
		check   func(t *testing.T, s config.ShopConfig)
	}{
		{name: "off by default", check: func(t *testing.T, s config.ShopConfig) {
			if s.NotifyEmail != "" || s.WebhookURL != "" || s.WebhookSecret != nil {
				t.Errorf("shop config without variables: %+v, want none", s)
			}
		}},
		{name: "email and webhook", env: map[string]string{"SHOP_NOTIFY_EMAIL": "Shop <shop@example.com>", "SHOP_WEBHOOK_URL": "https://shop.example.com/hooks/tailor", "SHOP_WEBHOOK_SECRET": secret},
			check: func(t *testing.T, s config.ShopConfig) {
				if s.NotifyEmail != "shop@example.com" || s.WebhookURL != "https://shop.example.com/hooks/tailor" || string(s.WebhookSecret) != secret {
					t.Errorf("got %+v", s)
				}
			}},
		{name: "bad address", env: map[string]string{"SHOP_NOTIFY_EMAIL": "the shop"}, wantErr: []string{"SHOP_NOTIFY_EMAIL", "not an email address"}},
		{name: "URL without secret", env: map[string]string{"SHOP_WEBHOOK_URL": "https://shop.example.com/h"}, wantErr: []string{"SHOP_WEBHOOK_SECRET is not"}},
		{name: "secret without URL", env: map[string]string{"SHOP_WEBHOOK_SECRET": secret}, wantErr: []string{"SHOP_WEBHOOK_URL is not"}},
		{name: "relative URL", env: map[string]string{"SHOP_WEBHOOK_URL": "/hooks", "SHOP_WEBHOOK_SECRET": secret}, wantErr: []string{"SHOP_WEBHOOK_URL", "absolute http(s) URL"}},
		{name: "URL with credentials", env: map[string]string{"SHOP_WEBHOOK_URL": "https://u:p@shop.example.com/h", "SHOP_WEBHOOK_SECRET": secret}, wantErr: []string{"without credentials"}},
		{name: "short secret", env: map[string]string{"SHOP_WEBHOOK_URL": "https://shop.example.com/h", "SHOP_WEBHOOK_SECRET": "short"}, wantErr: []string{"SHOP_WEBHOOK_SECRET", "at least 32"}},
		{name: "weak secret", env: map[string]string{"SHOP_WEBHOOK_URL": "https://shop.example.com/h", "SHOP_WEBHOOK_SECRET": strings.Repeat("ab", 20)}, wantErr: []string{"SHOP_WEBHOOK_SECRET", "too little randomness"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"LINK_SECRET": "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"}
			for k, v := range tt.env {
				env[k] = v
			}
			w, err := config.LoadWorker(func(k string) string { return env[k] })
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				tt.check(t, w.Shop)
				return
			}
			if err == nil {
				t.Fatalf("%s: no error, want %q", tt.name, tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error %q lacks %q", tt.name, err, want)
				}
			}
			if s := env["SHOP_WEBHOOK_SECRET"]; len(s) > 8 && strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error prints the secret", tt.name)
			}
		})
	}
}
