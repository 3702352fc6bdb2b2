package deploy

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// Package deploy holds Tailor's compose file (docker-compose.yml) and, in this test, its checker.
// The compose file is never started here (no Docker engine in CI), so this test is what keeps it
// honest: names, addresses, credentials and ports that must agree between services, and a
// Dockerfile (in the repository root, the build context `..`) that builds both binaries.

const (
	temporalFrontendPort = "7233"
	postgresPort         = "5432"
)

// requiredServices are the services the README promises.
var requiredServices = []string{"temporal-db", "temporal", "temporal-ui", "app-db", "setup", "worker"}

func TestComposeIsCoherent(t *testing.T) {
	for _, problem := range composeProblems(t, "docker-compose.yml") {
		t.Error(problem)
	}
}

// TestComposeCheckerCatchesMistakes breaks a copy of docker-compose.yml (or
// of the Dockerfile) in one place and expects the checker to say so, so that
// TestComposeIsCoherent cannot pass by checking nothing.
func TestComposeCheckerCatchesMistakes(t *testing.T) {
	compose := readFile(t, "docker-compose.yml")
	dockerfile := readFile(t, filepath.Join("..", "Dockerfile"))
	libSh := readFile(t, filepath.Join("..", "scripts", "lib.sh"))

	tests := []struct {
		name        string
		file        string // "docker-compose.yml", "Dockerfile" or "lib.sh" (scripts/lib.sh)
		old, new    string // the first old is replaced by new
		wantProblem string
	}{
		{
			name:        "worker's database host does not exist",
			file:        "docker-compose.yml",
			old:         "DATABASE_URL: postgres://postgres:postgres@app-db:5432/tailor?sslmode=disable\n      SENDGRID_API_KEY",
			new:         "DATABASE_URL: postgres://postgres:postgres@nowhere:5432/tailor?sslmode=disable\n      SENDGRID_API_KEY",
			wantProblem: `worker: DATABASE_URL host "nowhere" is not a service`,
		},
		{
			name:        "setup's Temporal host does not exist",
			file:        "docker-compose.yml",
			old:         "command: [\"starter\", \"setup\"]\n    environment:\n      TEMPORAL_ADDRESS: temporal:7233",
			new:         "command: [\"starter\", \"setup\"]\n    environment:\n      TEMPORAL_ADDRESS: localhost:7233",
			wantProblem: `setup: TEMPORAL_ADDRESS host "localhost" is not a service`,
		},
		{
			name:        "worker talks to the UI port",
			file:        "docker-compose.yml",
			old:         "command: [\"worker\"]\n    environment:\n      TEMPORAL_ADDRESS: temporal:7233",
			new:         "command: [\"worker\"]\n    environment:\n      TEMPORAL_ADDRESS: temporal:8233",
			wantProblem: `worker: TEMPORAL_ADDRESS port "8233"`,
		},
		{
			name:        "database name differs from POSTGRES_DB",
			file:        "docker-compose.yml",
			old:         "POSTGRES_DB: tailor",
			new:         "POSTGRES_DB: shop",
			wantProblem: `worker: DATABASE_URL database "tailor"`,
		},
		{
			name:        "wrong database password",
			file:        "docker-compose.yml",
			old:         "DATABASE_URL: postgres://postgres:postgres@app-db",
			new:         "DATABASE_URL: postgres://postgres:secret@app-db",
			wantProblem: "setup: DATABASE_URL password does not match app-db's POSTGRES_PASSWORD",
		},
		{
			name:        "depends on a missing service",
			file:        "docker-compose.yml",
			old:         "      setup:\n        condition: service_completed_successfully",
			new:         "      migrate:\n        condition: service_completed_successfully",
			wantProblem: `worker: depends_on "migrate", which is not a service`,
		},
		{
			name:        "waits for health that is never checked",
			file:        "docker-compose.yml",
			old:         "      app-db:\n        condition: service_healthy",
			new:         "      temporal-ui:\n        condition: service_healthy",
			wantProblem: `setup: depends_on "temporal-ui" being healthy, but temporal-ui has no healthcheck`,
		},
		{
			name:        "floating image tag",
			file:        "docker-compose.yml",
			old:         "temporalio/ui:2.42.1",
			new:         "temporalio/ui:latest",
			wantProblem: `temporal-ui: image "temporalio/ui:latest" is not pinned`,
		},
		{
			name:        "image without a tag",
			file:        "docker-compose.yml",
			old:         "temporalio/auto-setup:1.29.1",
			new:         "temporalio/auto-setup",
			wantProblem: `temporal: image "temporalio/auto-setup" is not pinned`,
		},
		{
			name:        "host ports clash",
			file:        "docker-compose.yml",
			old:         `"127.0.0.1:5433:5432"`,
			new:         `"127.0.0.1:7233:5432"`,
			wantProblem: "host port 7233 is published by both",
		},
		{
			name:        "the link secret falls back to a value in the file",
			file:        "docker-compose.yml",
			old:         "LINK_SECRET: ${LINK_SECRET:?",
			new:         "LINK_SECRET: ${LINK_SECRET:-compose-demo-only-link-secret-not-for-production}\n      X: ${X:?",
			wantProblem: "worker: LINK_SECRET falls back to a value written in the file",
		},
		{
			name:        "the link secret is optional",
			file:        "docker-compose.yml",
			old:         "LINK_SECRET: ${LINK_SECRET:?",
			new:         "LINK_SECRET: ${LINK_SECRET:-}\n      X: ${X:?",
			wantProblem: "worker: LINK_SECRET must be required",
		},
		{
			name:        "the link secret is written out",
			file:        "docker-compose.yml",
			old:         "LINK_SECRET: ${LINK_SECRET:?",
			new:         "LINK_SECRET: 9b2e4f7a1c0d83e65fa4b7c2d91e0a3f6b8c5d2e7f1a4b09c3d6e8f2a5b7c1d4\n      X: ${X:?",
			wantProblem: "worker: LINK_SECRET is written in the file",
		},
		{
			name:        "the SendGrid key has a default",
			file:        "docker-compose.yml",
			old:         "SENDGRID_API_KEY: ${SENDGRID_API_KEY:-}",
			new:         "SENDGRID_API_KEY: ${SENDGRID_API_KEY-SG.demo-key}",
			wantProblem: "worker: SENDGRID_API_KEY falls back to a value written in the file",
		},
		{
			name:        "a codec token defaults inside another variable",
			file:        "docker-compose.yml",
			old:         "MAIL_FROM: ${MAIL_FROM:-}",
			new:         "MAIL_FROM: ${MAIL_FROM:-}${CODEC_AUTH_TOKEN:-let-me-in}",
			wantProblem: "worker: CODEC_AUTH_TOKEN falls back to a value written in the file",
		},
		{
			name:        "the operator port is published on every interface",
			file:        "docker-compose.yml",
			old:         `"127.0.0.1:9090:9090"`,
			new:         `"9090:9090"`,
			wantProblem: "worker: host port 9090 is published on every interface",
		},
		{
			name:        "Temporal is published on every interface",
			file:        "docker-compose.yml",
			old:         `"127.0.0.1:7233:7233"`,
			new:         `"0.0.0.0:7233:7233"`,
			wantProblem: "temporal: host port 7233 is published on every interface",
		},
		{
			name:        "codec keys on an exposed operator address without a token",
			file:        "docker-compose.yml",
			old:         "OPS_ADDR: 0.0.0.0:9090",
			new:         "OPS_ADDR: 0.0.0.0:9090\n      TAILOR_CODEC_KEYS: ${TAILOR_CODEC_KEYS:-}",
			wantProblem: "worker: TAILOR_CODEC_KEYS on OPS_ADDR 0.0.0.0:9090 needs CODEC_AUTH_TOKEN required",
		},
		{
			name:        "a promised service is missing",
			file:        "docker-compose.yml",
			old:         "  temporal-ui:\n",
			new:         "  temporal-web:\n",
			wantProblem: `service "temporal-ui" is missing`,
		},
		{
			name:        "Temporal server on the wrong database",
			file:        "docker-compose.yml",
			old:         "POSTGRES_SEEDS: temporal-db",
			new:         "POSTGRES_SEEDS: postgres",
			wantProblem: `temporal: POSTGRES_SEEDS host "postgres" is not a service`,
		},
		{
			name:        "the build context is the deploy folder, which has no Dockerfile",
			file:        "docker-compose.yml",
			old:         "    build:\n      context: ..\n",
			new:         "    build: .\n",
			wantProblem: filepath.Join("deploy", "Dockerfile") + ", which cannot be read",
		},
		{
			name:        "compose runs another Temporal server than the tests",
			file:        "docker-compose.yml",
			old:         "temporalio/auto-setup:1.29.1",
			new:         "temporalio/auto-setup:1.30.0",
			wantProblem: `temporal: image "temporalio/auto-setup:1.30.0" runs Temporal "1.30.0", but scripts/lib.sh pins TEMPORAL_SERVER_VERSION 1.29.1`,
		},
		{
			name:        "the tests' Temporal server is bumped alone",
			file:        "lib.sh",
			old:         `TEMPORAL_SERVER_VERSION="1.29.1"`,
			new:         `TEMPORAL_SERVER_VERSION="1.30.0"`,
			wantProblem: `temporal: image "temporalio/auto-setup:1.29.1" runs Temporal "1.29.1", but scripts/lib.sh pins TEMPORAL_SERVER_VERSION 1.30.0`,
		},
		{
			name:        "the server version is no longer pinned in lib.sh",
			file:        "lib.sh",
			old:         `TEMPORAL_SERVER_VERSION="1.29.1"`,
			new:         `TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-1.29.1}"`,
			wantProblem: `scripts/lib.sh: no TEMPORAL_SERVER_VERSION="x.y.z" line`,
		},
		{
			name:        "compose's Temporal server on another SQL plugin",
			file:        "docker-compose.yml",
			old:         "DB: postgres12",
			new:         "DB: postgresql",
			wantProblem: `temporal: DB "postgresql", but scripts/temporal-postgres.sh tests the server with SQL_PLUGIN postgres12`,
		},
		{
			name:        "Dockerfile does not build the starter",
			file:        "Dockerfile",
			old:         "go build -trimpath -o /out/starter ./starter",
			new:         "true",
			wantProblem: "Dockerfile does not build ./starter",
		},
		{
			name:        "Dockerfile base image floats",
			file:        "Dockerfile",
			old:         "FROM debian:bookworm-slim",
			new:         "FROM debian",
			wantProblem: `Dockerfile: FROM image "debian" is not pinned`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"docker-compose.yml": compose, "Dockerfile": dockerfile, "lib.sh": libSh}
			original := files[tt.file]
			require.Contains(t, original, tt.old, "the mutation no longer applies to %s; update this test", tt.file)
			files[tt.file] = strings.Replace(original, tt.old, tt.new, 1)

			// The repository's layout: the compose file in deploy/, the Dockerfile in the root,
			// lib.sh in scripts/.
			dir := t.TempDir()
			paths := map[string]string{
				"docker-compose.yml": filepath.Join(dir, "deploy", "docker-compose.yml"),
				"Dockerfile":         filepath.Join(dir, "Dockerfile"),
				"lib.sh":             filepath.Join(dir, "scripts", "lib.sh"),
			}
			require.NoError(t, os.Mkdir(filepath.Join(dir, "deploy"), 0o755))
			require.NoError(t, os.Mkdir(filepath.Join(dir, "scripts"), 0o755))
			for name, content := range files {
				require.NoError(t, os.WriteFile(paths[name], []byte(content), 0o644))
			}
			problems := composeProblems(t, paths["docker-compose.yml"])
			found := slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.wantProblem) })
			if !found {
				t.Errorf("replacing %q with %q in %s: want a problem containing %q, got:\n%s",
					tt.old, tt.new, tt.file, tt.wantProblem, strings.Join(problems, "\n"))
			}
		})
	}
}

// composeFile is the part of the Compose format this test reads.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       composeBuild   `yaml:"build"`
	Environment composeEnv     `yaml:"environment"`
	Ports       []composePort  `yaml:"ports"`
	Expose      []string       `yaml:"expose"`
	DependsOn   composeDepends `yaml:"depends_on"`
	Healthcheck *struct {
		Test    any  `yaml:"test"`
		Disable bool `yaml:"disable"`
	} `yaml:"healthcheck"`
}

func (s composeService) hasHealthcheck() bool {
	return s.Healthcheck != nil && s.Healthcheck.Test != nil && !s.Healthcheck.Disable
}

// composeBuild accepts `build: ..` and `build: {context: .., dockerfile: ...}`.
type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

func (b *composeBuild) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		b.Context = node.Value
		return nil
	}
	type plain composeBuild
	return node.Decode((*plain)(b))
}

// composeEnv accepts both the map and the KEY=VALUE list forms.
type composeEnv map[string]string

func (e *composeEnv) UnmarshalYAML(node *yaml.Node) error {
	*e = composeEnv{}
	if node.Kind == yaml.SequenceNode {
		var list []string
		if err := node.Decode(&list); err != nil {
			return err
		}
		for _, item := range list {
			key, value, _ := strings.Cut(item, "=")
			(*e)[key] = value
		}
		return nil
	}
	var m map[string]*string
	if err := node.Decode(&m); err != nil {
		return err
	}
	for key, value := range m {
		if value != nil {
			(*e)[key] = *value
		} else {
			(*e)[key] = ""
		}
	}
	return nil
}

// composeDepends accepts the list form and the map form with conditions.
type composeDepends map[string]string // service -> condition

func (d *composeDepends) UnmarshalYAML(node *yaml.Node) error {
	*d = composeDepends{}
	if node.Kind == yaml.SequenceNode {
		var list []string
		if err := node.Decode(&list); err != nil {
			return err
		}
		for _, name := range list {
			(*d)[name] = "service_started"
		}
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := node.Decode(&m); err != nil {
		return err
	}
	for name, dep := range m {
		condition := dep.Condition
		if condition == "" {
			condition = "service_started"
		}
		(*d)[name] = condition
	}
	return nil
}

// composePort accepts "[IP:]HOST:CONTAINER[/proto]" (IP may be "[::1]"),
// "CONTAINER" and the long form {target, published, host_ip}.
type composePort struct {
	IP        string // the host address it is bound to; empty: every interface
	Host      string // empty when not published
	Container string
}

func (p *composePort) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		spec, _, _ := strings.Cut(node.Value, "/")
		if rest, ok := strings.CutPrefix(spec, "["); ok {
			ip, ports, _ := strings.Cut(rest, "]")
			p.IP, spec = ip, strings.TrimPrefix(ports, ":")
		}
		parts := strings.Split(spec, ":")
		p.Container = parts[len(parts)-1]
		if len(parts) >= 2 {
			p.Host = parts[len(parts)-2]
		}
		if len(parts) >= 3 {
			p.IP = parts[len(parts)-3]
		}
		return nil
	}
	var long struct {
		Target    string `yaml:"target"`
		Published string `yaml:"published"`
		HostIP    string `yaml:"host_ip"`
	}
	if err := node.Decode(&long); err != nil {
		return err
	}
	p.Container, p.Host, p.IP = long.Target, long.Published, long.HostIP
	return nil
}

// everyInterface reports whether the port is published on all of the host's addresses.
func (p composePort) everyInterface() bool {
	return p.IP == "" || p.IP == "0.0.0.0" || p.IP == "::"
}

// composeProblems reads the compose file at path (and the Dockerfiles it
// builds from, relative to it) and returns every incoherence it finds, each
// naming the service concerned. It fails t only if the files cannot be read.
func composeProblems(t *testing.T, path string) []string {
	t.Helper()
	var compose composeFile
	require.NoError(t, yaml.Unmarshal([]byte(readFile(t, path)), &compose), "parse %s", path)

	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	services := compose.Services
	names := sortedKeys(services)

	for _, name := range requiredServices {
		if _, ok := services[name]; !ok {
			report("service %q is missing; the README promises %v", name, requiredServices)
		}
	}

	hostPorts := map[string]string{} // host port -> first service publishing it
	for _, name := range names {
		svc := services[name]

		for _, dep := range sortedKeys(svc.DependsOn) {
			target, ok := services[dep]
			switch condition := svc.DependsOn[dep]; {
			case !ok:
				report("%s: depends_on %q, which is not a service", name, dep)
			case condition == "service_healthy" && !target.hasHealthcheck():
				report("%s: depends_on %q being healthy, but %s has no healthcheck, so it never is", name, dep, dep)
			case !slices.Contains([]string{"service_started", "service_healthy", "service_completed_successfully"}, condition):
				report("%s: depends_on %q with unknown condition %q", name, dep, condition)
			}
		}

		switch {
		case svc.Image == "" && svc.Build.Context == "":
			report("%s: has neither image nor build", name)
		case svc.Image != "" && !imagePinned(svc.Image):
			report("%s: image %q is not pinned; use a concrete version tag, not latest", name, svc.Image)
		}

		if svc.Build.Context != "" {
			problems = append(problems, dockerfileProblems(t, name, filepath.Dir(path), svc.Build)...)
		}

		for _, port := range svc.Ports {
			if port.Host == "" {
				continue
			}
			if other, taken := hostPorts[port.Host]; taken {
				report("%s: host port %s is published by both %s and %s", name, port.Host, other, name)
				continue
			}
			hostPorts[port.Host] = name
		}
		checkPublishedPorts(name, svc, report)
		checkSecrets(name, svc, report)

		if address, ok := svc.Environment["TEMPORAL_ADDRESS"]; ok {
			checkTemporalAddress(services, name, address, report)
		} else if name == "worker" || name == "setup" || name == "temporal-ui" {
			report("%s: TEMPORAL_ADDRESS is not set, so it would look for Temporal on its own localhost", name)
		}

		if dbURL, ok := svc.Environment["DATABASE_URL"]; ok {
			checkDatabaseURL(services, name, dbURL, report)
		} else if name == "worker" || name == "setup" {
			report("%s: DATABASE_URL is not set", name)
		}

		if seeds, ok := svc.Environment["POSTGRES_SEEDS"]; ok {
			for _, host := range strings.Split(seeds, ",") {
				if !isPostgresService(services, host) {
					report("%s: POSTGRES_SEEDS host %q is not a service running postgres", name, host)
				}
			}
			checkTemporalDBCredentials(services, name, svc, report)
		}
	}
	checkTemporalServerVersion(services, readFile(t, filepath.Join(filepath.Dir(path), "..", "scripts", "lib.sh")), report)
	return problems
}

// serverVersionLine is where scripts/lib.sh pins the Temporal server that
// scripts/temporal-postgres.sh builds and the PostgreSQL test target runs.
var serverVersionLine = regexp.MustCompile(`(?m)^TEMPORAL_SERVER_VERSION="([0-9]+\.[0-9]+\.[0-9]+)"$`)

// checkTemporalServerVersion: the compose file's Temporal server is the one the tests run on
// PostgreSQL (scripts/test-postgres-temporal.sh), same version and same SQL plugin, so that what
// they prove is what compose users run.
func checkTemporalServerVersion(services map[string]composeService, libSh string, report func(string, ...any)) {
	m := serverVersionLine.FindStringSubmatch(libSh)
	if m == nil || m[1] == "" {
		report(`scripts/lib.sh: no TEMPORAL_SERVER_VERSION="x.y.z" line, which pins the Temporal server`)
		return
	}
	pinned := m[1]
	for _, name := range sortedKeys(services) {
		svc := services[name]
		repo, tag, _ := strings.Cut(svc.Image, ":")
		if repo != "temporalio/auto-setup" && repo != "temporalio/server" {
			continue
		}
		if tag != pinned {
			report("%s: image %q runs Temporal %q, but scripts/lib.sh pins TEMPORAL_SERVER_VERSION %s, the server scripts/temporal-postgres.sh tests; change both together",
				name, svc.Image, tag, pinned)
		}
		if db, ok := svc.Environment["DB"]; ok && db != "postgres12" {
			report("%s: DB %q, but scripts/temporal-postgres.sh tests the server with SQL_PLUGIN postgres12", name, db)
		}
	}
}

// checkTemporalAddress: the host must be the service running the Temporal
// server, and the port its frontend port, which that service must serve.
func checkTemporalAddress(services map[string]composeService, name, address string, report func(string, ...any)) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		report("%s: TEMPORAL_ADDRESS %q is not host:port: %v", name, address, err)
		return
	}
	target, ok := services[host]
	switch {
	case !ok:
		report("%s: TEMPORAL_ADDRESS host %q is not a service; want the Temporal server's service name", name, host)
		return
	case !strings.HasPrefix(target.Image, "temporalio/auto-setup:") && !strings.HasPrefix(target.Image, "temporalio/server:"):
		report("%s: TEMPORAL_ADDRESS host %q runs %q, not a Temporal server", name, host, target.Image)
		return
	}
	if port != temporalFrontendPort {
		report("%s: TEMPORAL_ADDRESS port %q is not the Temporal frontend port %s", name, port, temporalFrontendPort)
	}
	if !servesPort(target, temporalFrontendPort) {
		report("%s: TEMPORAL_ADDRESS points at %s, which neither publishes nor exposes port %s", name, host, temporalFrontendPort)
	}
}

// checkDatabaseURL: the host must be a postgres service whose POSTGRES_DB,
// user and password are the URL's, on the container port.
func checkDatabaseURL(services map[string]composeService, name, raw string, report func(string, ...any)) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		report("%s: DATABASE_URL %q is not a postgres:// URL", name, raw)
		return
	}
	host := u.Hostname()
	if !isPostgresService(services, host) {
		report("%s: DATABASE_URL host %q is not a service running postgres", name, host)
		return
	}
	db := services[host]
	if port := u.Port(); port != "" && port != postgresPort {
		report("%s: DATABASE_URL port %s is not PostgreSQL's container port %s (host ports do not apply between containers)", name, port, postgresPort)
	}
	wantUser := envOr(db.Environment, "POSTGRES_USER", "postgres")
	if user := u.User.Username(); user != wantUser {
		report("%s: DATABASE_URL user %q is not %s's POSTGRES_USER %q", name, user, host, wantUser)
	}
	if password, _ := u.User.Password(); password != db.Environment["POSTGRES_PASSWORD"] {
		report("%s: DATABASE_URL password does not match %s's POSTGRES_PASSWORD", name, host)
	}
	wantDB := envOr(db.Environment, "POSTGRES_DB", wantUser)
	if database := strings.TrimPrefix(u.Path, "/"); database != wantDB {
		report("%s: DATABASE_URL database %q is not the one %s creates (POSTGRES_DB %q)", name, database, host, wantDB)
	}
}

// checkTemporalDBCredentials: auto-setup's POSTGRES_USER/POSTGRES_PWD must be
// those of the database it points at.
func checkTemporalDBCredentials(services map[string]composeService, name string, svc composeService, report func(string, ...any)) {
	seed, _, _ := strings.Cut(svc.Environment["POSTGRES_SEEDS"], ",")
	db, ok := services[seed]
	if !ok {
		return // reported as a missing host already
	}
	if got, want := svc.Environment["POSTGRES_USER"], envOr(db.Environment, "POSTGRES_USER", "postgres"); got != want {
		report("%s: POSTGRES_USER %q is not %s's POSTGRES_USER %q", name, got, seed, want)
	}
	if svc.Environment["POSTGRES_PWD"] != db.Environment["POSTGRES_PASSWORD"] {
		report("%s: POSTGRES_PWD does not match %s's POSTGRES_PASSWORD", name, seed)
	}
}

var (
	dockerFromLine  = regexp.MustCompile(`(?im)^FROM\s+(?:--\S+\s+)*(\S+)`)
	dockerRunLine   = regexp.MustCompile(`(?m)^RUN\s(?:.*\\\n)*.*$`)
	dockerBuildsPkg = func(pkg string) *regexp.Regexp {
		return regexp.MustCompile(`go\s+build\b[^\n&;|]*\s` + regexp.QuoteMeta(pkg) + `(\s|$)`)
	}
)

// dockerfileProblems checks the Dockerfile a service builds from: it exists,
// its base images are pinned and it builds both binaries.
func dockerfileProblems(t *testing.T, name, composeDir string, build composeBuild) []string {
	t.Helper()
	dockerfile := build.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	path := filepath.Join(composeDir, build.Context, dockerfile)
	content, err := os.ReadFile(path)
	if err != nil {
		return []string{fmt.Sprintf("%s: builds from %s, which cannot be read: %v", name, path, err)}
	}
	var problems []string
	for _, m := range dockerFromLine.FindAllStringSubmatch(string(content), -1) {
		if image := m[1]; !imagePinned(image) && !isBuildStage(string(content), image) {
			problems = append(problems, fmt.Sprintf("%s: Dockerfile: FROM image %q is not pinned", name, image))
		}
	}
	// Join continued RUN lines so `go build ... ./x && \` spans are seen whole.
	var runs strings.Builder
	for _, run := range dockerRunLine.FindAllString(string(content), -1) {
		runs.WriteString(strings.ReplaceAll(run, "\\\n", " ") + "\n")
	}
	for _, pkg := range []string{"./worker", "./starter"} {
		if !dockerBuildsPkg(pkg).MatchString(runs.String()) {
			problems = append(problems, fmt.Sprintf("%s: %s does not build %s", name, path, pkg))
		}
	}
	return problems
}

// isBuildStage reports whether FROM refers to an earlier `AS name` stage.
func isBuildStage(dockerfile, image string) bool {
	return regexp.MustCompile(`(?im)^FROM\s.*\sAS\s+` + regexp.QuoteMeta(image) + `\s*$`).MatchString(dockerfile)
}

// imagePinned reports whether image names a tag (or digest) other than latest.
func imagePinned(image string) bool {
	if _, digest, ok := strings.Cut(image, "@"); ok {
		return strings.HasPrefix(digest, "sha256:")
	}
	lastSegment := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(lastSegment, ":")
	return ok && tag != "" && tag != "latest"
}

func isPostgresService(services map[string]composeService, name string) bool {
	svc, ok := services[name]
	return ok && (svc.Image == "postgres" || strings.HasPrefix(svc.Image, "postgres:"))
}

func servesPort(svc composeService, port string) bool {
	for _, p := range svc.Ports {
		if p.Container == port {
			return true
		}
	}
	for _, p := range svc.Expose {
		if strings.TrimSuffix(p, "/tcp") == port {
			return true
		}
	}
	return false
}

func envOr(env composeEnv, key, fallback string) string {
	if v, ok := env[key]; ok && v != "" {
		return v
	}
	return fallback
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	content, err := os.ReadFile(path)
	require.NoError(t, err, "read %s", path)
	return string(content)
}

// secretVariables may never fall back to a value written in the compose file: whoever reads
// the file (it is public) would know it. An empty fallback (${SENDGRID_API_KEY:-}) is the
// same as unset, which the worker reads as "off".
var secretVariables = []string{"LINK_SECRET", "CODEC_AUTH_TOKEN", "TAILOR_CODEC_KEYS", "SENDGRID_API_KEY"}

// requiredSecrets must be given by whoever starts the stack: ${NAME:?message}.
var requiredSecrets = map[string][]string{"worker": {"LINK_SECRET"}}

// interpolation is one ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error} ...
var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?([^}]*)\}`)

func isSecretVariable(name string) bool {
	return slices.Contains(secretVariables, name) || strings.HasSuffix(name, "_SECRET") || strings.HasSuffix(name, "_TOKEN")
}

// checkSecrets: a secret-like variable is never written in the file nor given a fallback
// there, and the worker's LINK_SECRET is required.
func checkSecrets(name string, svc composeService, report func(string, ...any)) {
	for _, key := range sortedKeys(svc.Environment) {
		value := svc.Environment[key]
		if isSecretVariable(key) && value != "" && !strings.Contains(value, "${") {
			report("%s: %s is written in the file; pass it from the environment: %s: ${%s:?...}", name, key, key, key)
		}
		for _, m := range interpolation.FindAllStringSubmatch(value, -1) {
			variable, op, word := m[1], m[2], m[3]
			if isSecretVariable(variable) && (op == "-" || op == ":-") && word != "" {
				report("%s: %s falls back to a value written in the file (${%s%s...}); anyone who reads it knows the secret: require it with ${%s:?message}",
					name, variable, variable, op, variable)
			}
		}
	}
	for _, key := range requiredSecrets[name] {
		m := interpolation.FindStringSubmatch(svc.Environment[key])
		if m == nil || m[1] != key || m[2] != ":?" || strings.TrimSpace(m[3]) == "" {
			report("%s: %s must be required, with a message saying how to make one: %s: ${%s:?set %s first, e.g. ...}", name, key, key, key, key)
		}
	}
	// The worker refuses a codec endpoint others reach without a token; the file must not
	// let it start that way either.
	if _, codec := svc.Environment["TAILOR_CODEC_KEYS"]; codec {
		if ops := svc.Environment["OPS_ADDR"]; ops != "" && ops != "off" && !loopbackAddr(ops) {
			m := interpolation.FindStringSubmatch(svc.Environment["CODEC_AUTH_TOKEN"])
			if m == nil || m[1] != "CODEC_AUTH_TOKEN" || m[2] != ":?" {
				report("%s: TAILOR_CODEC_KEYS on OPS_ADDR %s needs CODEC_AUTH_TOKEN required (${CODEC_AUTH_TOKEN:?...}): anyone who reaches that address could decrypt payloads",
					name, ops)
			}
		}
	}
}

// checkPublishedPorts: only the worker's pages (its HTTP_ADDR port) are for everyone; every
// other published port, the worker's operator port included, is bound to the host's loopback.
func checkPublishedPorts(name string, svc composeService, report func(string, ...any)) {
	public := ""
	if name == "worker" {
		if _, port, err := net.SplitHostPort(svc.Environment["HTTP_ADDR"]); err == nil {
			public = port
		}
	}
	for _, port := range svc.Ports {
		if port.Host == "" || !port.everyInterface() || (public != "" && port.Container == public) {
			continue
		}
		report("%s: host port %s is published on every interface, but only the worker's pages (HTTP_ADDR) are for the public; bind it to loopback: \"127.0.0.1:%s:%s\"",
			name, port.Host, port.Host, port.Container)
	}
}

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
