package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// TemporalClientOptions builds the connection part of client.Options with Temporal's standard
// environment configuration (go.temporal.io/sdk/contrib/envconfig): the profile from the Temporal
// config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), overridden by TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS and TEMPORAL_TLS_* variables. Address and
// namespace fall back to localhost:7233 and "default", so local development needs nothing.
// Callers add Logger, DataConverter, FailureConverter and MetricsHandler. Every problem is reported
// at once, naming the variable; the API key never appears in an error.
func TemporalClientOptions(getenv func(string) string) (client.Options, error) {
	env := envLookup(getenv)
	problems := checkTemporalTLSEnv(getenv)
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{
		ConfigFilePath:    strings.TrimSpace(getenv("TEMPORAL_CONFIG_FILE")),
		ConfigFileProfile: strings.TrimSpace(getenv("TEMPORAL_PROFILE")),
		EnvLookup:         env,
	})
	if err != nil && len(problems) == 0 {
		// The checks above name the variable for the usual mistakes; this is what remains, such as
		// a config file that does not parse or a profile it lacks.
		problems = append(problems, fmt.Errorf("Temporal client configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, TEMPORAL_TLS_*): %w", err))
	}
	if len(problems) > 0 {
		return client.Options{}, errors.Join(problems...)
	}
	if opts.HostPort == "" {
		opts.HostPort = DefaultTemporalAddress
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	return opts, nil
}

// checkTemporalTLSEnv reports the TLS variables' problems with their names, all at once.
func checkTemporalTLSEnv(getenv func(string) string) []error {
	var problems []error
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	if v := get("TEMPORAL_TLS"); v != "" {
		switch strings.ToLower(v) {
		case "1", "0", "true", "false":
		default:
			problems = append(problems, fmt.Errorf("TEMPORAL_TLS %q is not true or false", v))
		}
	}
	certPath, keyPath := get("TEMPORAL_TLS_CLIENT_CERT_PATH"), get("TEMPORAL_TLS_CLIENT_KEY_PATH")
	switch {
	case certPath != "" && keyPath == "":
		problems = append(problems, errors.New("TEMPORAL_TLS_CLIENT_CERT_PATH is set but TEMPORAL_TLS_CLIENT_KEY_PATH is not: mTLS needs both the certificate and its private key"))
	case certPath == "" && keyPath != "":
		problems = append(problems, errors.New("TEMPORAL_TLS_CLIENT_KEY_PATH is set but TEMPORAL_TLS_CLIENT_CERT_PATH is not: mTLS needs both the certificate and its private key"))
	case certPath != "":
		certErr := readable("TEMPORAL_TLS_CLIENT_CERT_PATH", certPath)
		keyErr := readable("TEMPORAL_TLS_CLIENT_KEY_PATH", keyPath)
		problems = appendIf(problems, certErr, keyErr)
		if certErr == nil && keyErr == nil {
			if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
				problems = append(problems, fmt.Errorf("TEMPORAL_TLS_CLIENT_CERT_PATH %s and TEMPORAL_TLS_CLIENT_KEY_PATH %s are not a matching PEM certificate and key: %w", certPath, keyPath, err))
			}
		}
	}
	if caPath := get("TEMPORAL_TLS_SERVER_CA_CERT_PATH"); caPath != "" {
		if raw, err := os.ReadFile(caPath); err != nil {
			problems = append(problems, fmt.Errorf("TEMPORAL_TLS_SERVER_CA_CERT_PATH: %w", err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(raw) {
			problems = append(problems, fmt.Errorf("TEMPORAL_TLS_SERVER_CA_CERT_PATH %s holds no PEM certificate", caPath))
		}
	}
	return problems
}

func readable(name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return f.Close()
}

func appendIf(problems []error, errs ...error) []error {
	for _, err := range errs {
		if err != nil {
			problems = append(problems, err)
		}
	}
	return problems
}

// envLookup adapts getenv to envconfig.EnvLookup. Empty (or blank) variables count as unset, as
// everywhere else in Tailor, so TEMPORAL_ADDRESS= keeps the default.
type envLookup func(string) string

func (g envLookup) LookupEnv(name string) (string, bool) {
	v := strings.TrimSpace(g(name))
	return v, v != ""
}

// Environ lists the TEMPORAL_GRPC_META_* variables (extra gRPC headers), with their values read
// through getenv.
func (g envLookup) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TEMPORAL_GRPC_META_") {
			if v, ok := g.LookupEnv(name); ok {
				out = append(out, name+"="+v)
			}
		}
	}
	return out
}
