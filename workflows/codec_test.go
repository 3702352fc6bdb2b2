package workflows_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// A history exported from a real dev server must hold none of the customer's data when the
// codec is on; the same story without it shows that the check can fail. An operator holding
// the key still reads it, through the codec endpoint the Temporal UI calls.
func TestHistoryHoldsNoPlaintextCustomerData(t *testing.T) {
	secret := make([]byte, codec.KeySize)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	starter, err := config.LoadStarter(func(name string) string {
		return map[string]string{"TAILOR_CODEC_KEYS": "test-1:" + base64.StdEncoding.EncodeToString(secret)}[name]
	})
	require.NoError(t, err)
	cfg := starter.Codec

	// What David's restock story puts into a history, in the form a plaintext JSON payload shows it.
	customerData := func(subject string) []string {
		return []string{"david@example.com", "David Sable", subject, "TR-BLUE-50", "TR-GREY-50", `"grey"`}
	}

	plain := runRestockStory(t, config.CodecConfig{})
	plainText := readable(t, plain.history)
	present := 0
	for _, s := range customerData(plain.subject) {
		if strings.Contains(plainText, s) {
			present++
			t.Logf("without the codec the history holds %s", s)
		}
	}
	require.Contains(t, plainText, plain.subject, "without the codec the subject is in the history, or this test proves nothing")

	encrypted := runRestockStory(t, cfg)
	require.Equal(t, plain.subject, encrypted.subject, "the same email went out")
	encryptedText := readable(t, encrypted.history)
	for _, s := range customerData(encrypted.subject) {
		require.NotContains(t, encryptedText, s, "the exported history must not hold %s in plaintext", s)
	}
	require.Contains(t, encrypted.history, base64.StdEncoding.EncodeToString([]byte(codec.MetadataEncoding)), "payloads are marked encrypted")
	t.Logf("without the codec %d of %d customer strings are in the history, with it none", present, len(customerData("")))

	// The Temporal UI's route: the encrypted payloads POSTed to the codec endpoint come back readable.
	payloads := encryptedPayloads(t, encrypted.history)
	require.NotEmpty(t, payloads)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	require.NoError(t, err)
	const token = "operator-token"
	endpoint := httptest.NewServer(codec.Handler(cfg.Codec, codec.HandlerOptions{AuthToken: token}))
	t.Cleanup(endpoint.Close)
	req, err := http.NewRequest(http.MethodPost, endpoint.URL+"/codec/decode", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var decoded commonpb.Payloads
	require.NoError(t, json.NewDecoder(res.Body).Decode(&decoded))
	var fromEndpoint strings.Builder
	for _, p := range decoded.Payloads {
		fromEndpoint.Write(p.Data)
	}
	require.Contains(t, fromEndpoint.String(), encrypted.subject, "the codec endpoint decodes the history")

	// The Temporal CLI does the same with --codec-endpoint, as the UI does with its codec setting.
	out, err := exec.Command(cliPath(t), "workflow", "show", "--address", encrypted.hostPort,
		"--namespace", encrypted.namespace, "--workflow-id", workflows.CustomerWorkflowID("david"), "--output", "json",
		"--codec-endpoint", endpoint.URL+"/codec", "--codec-auth", "Bearer "+token).CombinedOutput()
	require.NoError(t, err, "temporal workflow show --codec-endpoint: %s", out)
	decodedText := readable(t, string(out))
	require.Contains(t, decodedText, encrypted.subject, "the CLI decodes through the endpoint")
	require.Contains(t, decodedText, `"grey"`)
}

type restockStory struct {
	history   string // `temporal workflow show --output json`
	subject   string // of the restock email
	hostPort  string
	namespace string
}

// startCodecWorker runs, on a fresh dev server, an in-process worker of the customers' workflows
// whose client encodes with codecCfg; it returns the server, that client and the worker's mailer.
func startCodecWorker(t *testing.T, st *store.DB, codecCfg config.CodecConfig) (*temporaltest.Server, client.Client, *recordingMailer) {
	t.Helper()
	srv := temporaltest.Start(t)
	c, err := client.Dial(client.Options{
		HostPort:         srv.HostPort,
		Namespace:        srv.Namespace,
		Logger:           log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		DataConverter:    codecCfg.DataConverter(),
		FailureConverter: codecCfg.FailureConverter(),
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	mailer := &recordingMailer{}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.CustomerLifecycle)
	w.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Policy: lifecycle.DefaultPolicy(), Links: testLinks(t)})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return srv, c, mailer
}

// runRestockStory plays David's purchase and the restock of the colour he wished for on a fresh
// dev server, with an in-process worker whose client uses codecCfg, and exports the history.
func runRestockStory(t *testing.T, codecCfg config.CodecConfig) restockStory {
	t.Helper()
	st := newStore(t)
	srv, c, mailer := startCodecWorker(t, st, codecCfg)

	ctx := context.Background()
	id := workflows.CustomerWorkflowID("david")
	send := func(name string, arg any) {
		_, err := c.SignalWithStartWorkflow(ctx, id, name, arg, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue},
			workflows.CustomerLifecycle, workflows.CustomerLifecycleInput{CustomerID: "david"})
		require.NoError(t, err, "signal %s", name)
	}
	send(workflows.SignalPurchase, workflows.PurchaseSignal{PurchaseID: "p1", SKU: "TR-BLUE-50", WantedColor: "grey"})
	require.Eventually(t, func() bool { return len(queryStatus(t, c, id).Wishes) == 1 }, 30*time.Second, 50*time.Millisecond, "the wish for grey")
	p, err := st.Restock(ctx, "TR-GREY-50", 3)
	require.NoError(t, err)
	send(workflows.SignalRestock, workflows.RestockSignal{Product: p})
	require.Eventually(t, func() bool { return len(queryStatus(t, c, id).Emails) == 1 }, 30*time.Second, 50*time.Millisecond, "the restock email")
	sent := mailer.sent()
	require.Len(t, sent, 1)
	require.Equal(t, "david@example.com", sent[0].ToEmail)

	require.NoError(t, c.CancelWorkflow(ctx, id, ""))
	require.Error(t, c.GetWorkflow(ctx, id, "").Get(ctx, nil), "the workflow ends cancelled")
	out, err := exec.Command(cliPath(t), "workflow", "show", "--address", srv.HostPort, "--namespace", srv.Namespace, "--workflow-id", id, "--output", "json").Output()
	require.NoError(t, err, "export the history with the Temporal CLI")
	return restockStory{history: string(out), subject: sent[0].Subject, hostPort: srv.HostPort, namespace: srv.Namespace}
}

// readable is an exported history as anyone with access to Temporal can read it: the JSON itself,
// followed by every payload's data and metadata decoded from base64.
func readable(t *testing.T, history string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(history)
	eachPayload(t, history, func(payload, metadata map[string]any) bool {
		for _, field := range append([]any{payload["data"]}, values(metadata)...) {
			if s, ok := field.(string); ok {
				if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
					b.WriteString("\n")
					b.Write(raw)
				}
			}
		}
		return false
	})
	return b.String()
}

func values(m map[string]any) []any {
	out := make([]any, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// encryptedPayloads finds every encrypted payload in an exported history, wherever it sits.
func encryptedPayloads(t *testing.T, history string) []*commonpb.Payload {
	t.Helper()
	marker := base64.StdEncoding.EncodeToString([]byte(codec.MetadataEncoding))
	var found []*commonpb.Payload
	eachPayload(t, history, func(payload, metadata map[string]any) bool {
		if metadata["encoding"] != marker {
			return false
		}
		raw, err := json.Marshal(payload)
		require.NoError(t, err)
		var p commonpb.Payload
		require.NoError(t, protojson.Unmarshal(raw, &p))
		found = append(found, &p)
		return true
	})
	return found
}

// eachPayload calls visit with every JSON object of an exported history that carries a "metadata"
// object, as a payload does, wherever it sits; it does not look inside one visit returns true for.
func eachPayload(t *testing.T, history string, visit func(payload, metadata map[string]any) (done bool)) {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal([]byte(history), &doc))
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if md, ok := v["metadata"].(map[string]any); ok && visit(v, md) {
				return
			}
			for _, child := range v {
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(doc)
}
