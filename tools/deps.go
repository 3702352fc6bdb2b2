//go:build tools

// Package tools pins module versions before the code that uses them lands.
package tools

import (
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/sendgrid/sendgrid-go"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/testsuite"
	_ "gopkg.in/yaml.v3"
	_ "github.com/stretchr/testify/require"
)
