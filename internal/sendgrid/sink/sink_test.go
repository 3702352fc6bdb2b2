package sink_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/sendgrid/sink"
)

const apiKey = "SG.test-key"

const validBody = `{
	"from": {"email": "shop@example.com", "name": "Shop"},
	"subject": "Back in grey",
	"personalizations": [{"to": [{"email": "ann@example.com", "name": "Ann"}]}],
	"content": [{"type": "text/plain", "value": "hello"}, {"type": "text/html", "value": "<p>hello</p>"}],
	"custom_args": {"idempotency_key": "customer/c1/restock/Back in grey", "customer_id": "c1", "kind": "restock"}
}`

type errorBody struct {
	Errors []sink.Error `json:"errors"`
}

// post sends body to the sink's mail send endpoint with the given Authorization header.
func post(t *testing.T, client *http.Client, baseURL, auth, body string) (*http.Response, errorBody) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+"/v3/mail/send", strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var eb errorBody
	if resp.StatusCode != http.StatusAccepted {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&eb), "error body of a %d must be SendGrid-style JSON", resp.StatusCode)
	}
	return resp, eb
}

func TestSinkAcceptsAndStores(t *testing.T) {
	fake, url := sink.Start(t, apiKey)

	resp, _ := post(t, http.DefaultClient, url, "Bearer "+apiKey, validBody)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	id := resp.Header.Get("X-Message-Id")
	require.NotEmpty(t, id)

	resp2, _ := post(t, http.DefaultClient, url, "Bearer "+apiKey, validBody)
	require.Equal(t, http.StatusAccepted, resp2.StatusCode)
	assert.NotEqual(t, id, resp2.Header.Get("X-Message-Id"), "every accepted request gets a fresh message id")

	msgs := fake.Messages()
	require.Len(t, msgs, 2)
	m := msgs[0]
	assert.Equal(t, "customer/c1/restock/Back in grey", m.Key)
	assert.Equal(t, "c1", m.CustomerID)
	assert.Equal(t, "restock", m.Kind)
	assert.Equal(t, "shop@example.com", m.From)
	assert.Equal(t, "ann@example.com", m.To)
	assert.Equal(t, "Back in grey", m.Subject)
	assert.Equal(t, "hello", m.Text)
	assert.Equal(t, "<p>hello</p>", m.HTML)
	assert.Equal(t, id, m.MessageID)
	assert.False(t, m.ReceivedAt.IsZero())
	assert.Nil(t, m.Headers, "a request without headers records none")

	msgs[0].Key = "changed"
	assert.Equal(t, "customer/c1/restock/Back in grey", fake.Messages()[0].Key, "Messages must return a copy")

	listed := listMessages(t, url)
	require.Len(t, listed, 2)
	assert.Equal(t, id, listed[0].MessageID)

	fake.Reset()
	assert.Empty(t, fake.Messages())
}

func TestSinkAuth(t *testing.T) {
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong key", "Bearer SG.other", http.StatusUnauthorized},
		{"key without Bearer", apiKey, http.StatusUnauthorized},
		{"right key", "Bearer " + apiKey, http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := sink.Start(t, apiKey)
			resp, eb := post(t, http.DefaultClient, url, tc.auth, validBody)
			require.Equal(t, tc.want, resp.StatusCode, "auth %q", tc.auth)
			if tc.want == http.StatusUnauthorized {
				require.Len(t, eb.Errors, 1)
				assert.Contains(t, eb.Errors[0].Message, "authorization grant is invalid")
				assert.Empty(t, fake.Messages(), "an unauthorized request must not be stored")
			}
		})
	}
}

func TestSinkValidation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		body       string
		wantFields []string // empty: accepted
	}{
		{"no from", `{"subject":"s","personalizations":[{"to":[{"email":"a@x"}]}],"content":[{"type":"text/plain","value":"v"}]}`, []string{"from.email"}},
		{"from without email", `{"from":{"name":"n"},"subject":"s","personalizations":[{"to":[{"email":"a@x"}]}],"content":[{"type":"text/plain","value":"v"}]}`, []string{"from.email"}},
		{"no personalizations", `{"from":{"email":"f@x"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, []string{"personalizations"}},
		{"personalization without to", `{"from":{"email":"f@x"},"subject":"s","personalizations":[{}],"content":[{"type":"text/plain","value":"v"}]}`, []string{"personalizations.0.to"}},
		{"to without email", `{"from":{"email":"f@x"},"subject":"s","personalizations":[{"to":[{"name":"a"}]}],"content":[{"type":"text/plain","value":"v"}]}`, []string{"personalizations.0.to"}},
		{"no subject", `{"from":{"email":"f@x"},"personalizations":[{"to":[{"email":"a@x"}]}],"content":[{"type":"text/plain","value":"v"}]}`, []string{"subject"}},
		{"subject in every personalization", `{"from":{"email":"f@x"},"personalizations":[{"to":[{"email":"a@x"}],"subject":"s"}],"content":[{"type":"text/plain","value":"v"}]}`, nil},
		{"no content", `{"from":{"email":"f@x"},"subject":"s","personalizations":[{"to":[{"email":"a@x"}]}]}`, []string{"content"}},
		{"empty content value", `{"from":{"email":"f@x"},"subject":"s","personalizations":[{"to":[{"email":"a@x"}]}],"content":[{"type":"text/plain","value":""}]}`, []string{"content"}},
		{"everything missing", `{}`, []string{"from.email", "personalizations", "subject", "content"}},
		{"not JSON", `{"from":`, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := sink.Start(t, apiKey)
			resp, eb := post(t, http.DefaultClient, url, "Bearer "+apiKey, tc.body)
			if len(tc.wantFields) == 0 {
				require.Equal(t, http.StatusAccepted, resp.StatusCode, "body %s", tc.body)
				assert.Len(t, fake.Messages(), 1)
				return
			}
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "body %s", tc.body)
			var fields []string
			for _, e := range eb.Errors {
				assert.NotEmpty(t, e.Message, "body %s", tc.body)
				fields = append(fields, e.Field)
			}
			assert.Equal(t, tc.wantFields, fields, "body %s", tc.body)
			assert.Empty(t, fake.Messages(), "a rejected request must not be stored")
		})
	}
}

func TestSinkFailNext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
	}{
		{"rate limited", http.StatusTooManyRequests, http.Header{"X-Ratelimit-Reset": {"1700000000"}}},
		{"server error", http.StatusInternalServerError, nil},
		{"too large", http.StatusRequestEntityTooLarge, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := sink.Start(t, apiKey)
			fake.FailNext(2, tc.status, tc.header)
			for i := range 2 {
				resp, eb := post(t, http.DefaultClient, url, "Bearer "+apiKey, validBody)
				require.Equal(t, tc.status, resp.StatusCode, "request %d", i)
				require.NotEmpty(t, eb.Errors, "request %d", i)
				for k := range tc.header {
					assert.Equal(t, tc.header.Get(k), resp.Header.Get(k), "request %d header %s", i, k)
				}
			}
			assert.Empty(t, fake.Messages(), "failed requests must not be stored")

			resp, _ := post(t, http.DefaultClient, url, "Bearer "+apiKey, validBody)
			require.Equal(t, http.StatusAccepted, resp.StatusCode, "the request after the failures")
			assert.Len(t, fake.Messages(), 1)
		})
	}
}

func TestSinkDelay(t *testing.T) {
	fake, url := sink.Start(t, apiKey)
	fake.Delay(time.Hour)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v3/mail/send", strings.NewReader(validBody))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err, "a request delayed by an hour must outlast a 50ms deadline")
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	assert.Empty(t, fake.Messages(), "a request abandoned during its delay must not be stored")

	fake.Delay(0)
	resp, _ := post(t, http.DefaultClient, url, "Bearer "+apiKey, validBody)
	assert.Equal(t, http.StatusAccepted, resp.StatusCode, "Delay(0) must stop delaying")
}

func TestSinkConcurrent(t *testing.T) {
	fake, url := sink.Start(t, apiKey)
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, _ := post(t, http.DefaultClient, url, "Bearer "+apiKey, validBody)
			assert.Equal(t, http.StatusAccepted, resp.StatusCode)
			_ = fake.Messages()
		})
	}
	wg.Wait()
	assert.Len(t, fake.Messages(), n)
}

func TestSinkRecordsHeaders(t *testing.T) {
	fake, url := sink.Start(t, apiKey)
	body := strings.Replace(validBody, `"subject": "Back in grey",`, `"subject": "Back in grey",
	"headers": {"List-Unsubscribe": "<https://shop.example.com/u/tok>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "X-Tailor-Key": "k"},`, 1)
	body = strings.Replace(body, `"personalizations": [{"to": [{"email": "ann@example.com", "name": "Ann"}]}]`,
		`"personalizations": [{"to": [{"email": "ann@example.com", "name": "Ann"}], "headers": {"X-Tailor-Key": "personal"}}]`, 1)
	resp, eb := post(t, http.DefaultClient, url, "Bearer "+apiKey, body)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%+v", eb)

	want := map[string]string{
		"List-Unsubscribe":      "<https://shop.example.com/u/tok>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"X-Tailor-Key":          "personal", // a personalization's header overrides the message's
	}
	require.Len(t, fake.Messages(), 1)
	assert.Equal(t, want, fake.Messages()[0].Headers)

	listed := listMessages(t, url)
	require.Len(t, listed, 1)
	assert.Equal(t, want, listed[0].Headers, "GET /messages lists the headers")
}

// listMessages returns what GET /messages of the sink at url lists.
func listMessages(t *testing.T, url string) []sink.Message {
	t.Helper()
	get, err := http.Get(url + "/messages")
	require.NoError(t, err, "GET %s/messages", url)
	defer get.Body.Close()
	var listed []sink.Message
	require.NoError(t, json.NewDecoder(get.Body).Decode(&listed), "GET %s/messages", url)
	return listed
}
