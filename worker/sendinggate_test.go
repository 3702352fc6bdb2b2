package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tailorhq/tailor/internal/sendinggate"
)

func TestSendingGateConfig(t *testing.T) {
	for _, tt := range []struct {
		probe, holdMax string
		want           sendinggate.Config
		wantErr        string
	}{
		{want: sendinggate.Config{}}, // the gate's defaults
		{probe: "1s", holdMax: "2s", want: sendinggate.Config{ProbeInterval: time.Second, HoldMax: 2 * time.Second}},
		{probe: "2m", want: sendinggate.Config{ProbeInterval: 2 * time.Minute}},
		{probe: "soon", wantErr: `SENDING_PAUSE_PROBE is "soon"`},
		{holdMax: "0s", wantErr: `SENDING_PAUSE_HOLD_MAX is "0s"`},
		{probe: "1h", holdMax: "1m", wantErr: "longer than SENDING_PAUSE_HOLD_MAX"},
	} {
		env := map[string]string{"SENDING_PAUSE_PROBE": tt.probe, "SENDING_PAUSE_HOLD_MAX": tt.holdMax}
		got, err := sendingGateConfig(func(k string) string { return env[k] })
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "probe %q, hold max %q", tt.probe, tt.holdMax)
			continue
		}
		assert.NoError(t, err, "probe %q, hold max %q", tt.probe, tt.holdMax)
		assert.Equal(t, tt.want, got, "probe %q, hold max %q", tt.probe, tt.holdMax)
	}
}
