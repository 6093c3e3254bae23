// Package static holds the web app, embedded into the server binary so that
// one file is the whole deployment.
package static

import "embed"

// FS is the web app: index.html, css/, js/ (test files included; they are
// small and never linked from a page).
//
//go:embed index.html css js
var FS embed.FS
