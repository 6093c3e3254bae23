package static

import (
	"os"
	"os/exec"
	"testing"
)

// TestJavaScript runs the web app's own tests (Node's built-in runner), so
// that `go test ./...` is the one command that tests everything. The OT
// tests there read the same vectors as the Go tests in board/.
func TestJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is required in CI: the web app's tests need it")
		}
		t.Skip("node not installed: the web app's JavaScript tests did not run")
	}
	cmd := exec.Command(node, "--test", "js/")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test js/: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
