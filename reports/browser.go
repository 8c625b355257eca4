package reports

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds the browser that draws charts into images: $CHROMIUM,
// else Debian's chromium on the PATH.
func ChromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium found: install Debian's chromium (apt-get install chromium fonts-noto-cjk) or set CHROMIUM")
}

// NewBrowser starts a headless chromium that reaches no network: its own
// empty profile in userDataDir, no background connections, and every host
// name unresolvable. Cancel the returned context to stop it.
func NewBrowser(parent context.Context, userDataDir string) (context.Context, context.CancelFunc, error) {
	path, err := ChromiumPath()
	if err != nil {
		return nil, nil, err
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(userDataDir),
		// Chromium's own temporary files beside the profile, in the
		// render's folder, removed with it (scratchDir).
		chromedp.Env("TMPDIR="+browserTemp(userDataDir)),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	return ctx, func() { cancel(); cancelAlloc() }, nil
}

// browserTemp is the folder chromium keeps its temporary files in: the
// render's own tmp beside the profile, made if need be.
func browserTemp(userDataDir string) string {
	dir := filepath.Join(filepath.Dir(userDataDir), "tmp")
	os.MkdirAll(dir, 0o700)
	return dir
}
