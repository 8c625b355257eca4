// Package sqltext writes names and strings into DuckDB SQL where a
// statement cannot take a parameter (file paths of COPY, ATTACH and
// EXPORT, identifiers, type definitions).
package sqltext

import "strings"

// Ident is s as a quoted identifier.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// String is s as a quoted string literal.
func String(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
