package main

// The web app in a real headless Chromium, against the whole server: two
// participants co-write one section (accents, an emoji, an IME composition),
// the facilitator's wall and the projector show the text, and user text
// that looks like HTML stays text.
//
// Needs /usr/bin/chromium: skipped without it, except under CI (CI set),
// where that is a failure. TABLEE_SCREENSHOTS=/some/dir saves screenshots
// of the pages at phone and laptop sizes.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// startBrowser launches Chromium with the project's fixed set of flags and a
// throwaway profile. Every page of the test runs under ctx's deadline.
func startBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required under CI: %v", err)
		}
		t.Skipf("browser test skipped: %s not found (%v); install the chromium package", chromiumPath, err)
	}
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(string, ...any) {}))
	// Registered after TempDir, so it runs first: the browser is gone
	// before its profile folder is removed.
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
	})
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browserCtx
}

// browserTab is one page in its own browser context (its own storage and
// cookies), like a separate person's device.
type browserTab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu       sync.Mutex
	problems []string // uncaught exceptions and JavaScript dialogs
	console  []string
}

func openTab(t *testing.T, browser context.Context, name string, width, height int64) *browserTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &browserTab{t: t, name: name, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			tb.mu.Lock()
			defer tb.mu.Unlock()
			for _, l := range tb.console {
				t.Logf("%s: %s", name, l)
			}
			for _, p := range tb.problems {
				t.Logf("%s: %s", name, p)
			}
		}
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	// Record Content-Security-Policy violations (a blocked inline style, an
	// eval…) from the first script on; checkProblems reports them.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));`,
	}); err != nil {
		t.Fatalf("%s: install the CSP watcher: %v", name, err)
	}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			tb.problem("uncaught exception: " + msg)
		}
	}()
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			tb.log(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
		}
	}()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.problem("a JavaScript dialog opened: " + ev.Message)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return tb
}

// log keeps the page's console output, shown if the test fails.
func (tb *browserTab) log(s string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.console = append(tb.console, s)
}

func (tb *browserTab) problem(s string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = append(tb.problems, s)
}

func (tb *browserTab) checkProblems() {
	tb.t.Helper()
	for _, v := range browserEval[[]string](tb, `window.__csp || []`) {
		tb.t.Errorf("%s: CSP violation: %s", tb.name, v)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, p := range tb.problems {
		tb.t.Errorf("%s: %s", tb.name, p)
	}
}

// sendKeys types text into the element sel, as chromedp.SendKeys does but
// without its data race: chromedp v0.23's SendKeys reads the node's
// attributes before taking the node's lock (query.go) while DOM events
// rewrite them, which -race reports whenever the page changes attributes of
// the element being typed into (auto-growing text areas, read-only toggles).
// Here the element is awaited and focused by script, and the key events go
// to the focused element; no node is read.
func sendKeys(sel chromedp.CSS, text string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(string(sel))
	return chromedp.Steps(
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector(%s)`, q), chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).focus()`, q)),
		chromedp.KeyEvent(text),
	)
}

// do runs steps with a bounded wait.
func (tb *browserTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

func browserEval[T any](tb *browserTab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition (chromedp.Poll builds its predicate
// with new Function, which the app's CSP forbids; evaluation from DevTools is
// not subject to it).
func (tb *browserTab) waitFor(what, cond string, timeout time.Duration) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, timeout)
	defer cancel()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			// Show what the page had, to tell a slow page from a wrong one.
			dctx, dcancel := context.WithTimeout(tb.ctx, 5*time.Second)
			state, _ := chromedp.Run(dctx, chromedp.Evaluate[string](pageStateJS))
			dcancel()
			tb.t.Fatalf("%s: timed out waiting for %s (%s)\npage state: %s", tb.name, what, cond, state)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pageStateJS sums up a page for a failure message.
const pageStateJS = `JSON.stringify({
	url: location.pathname,
	status: (document.querySelector('.status') || {}).dataset,
	enjeux: (document.querySelector('textarea[data-section="enjeux"]') || {}).value,
	notices: [...document.querySelectorAll('.toast, .notice-error:not([hidden])')].map((n) => n.textContent),
	people: [...document.querySelectorAll('.people li')].map((n) => n.textContent),
})`

// shotContext returns the screenshot folder (TABLEE_SCREENSHOTS) and a
// context bounded by d to take one in; ok is false when screenshots are
// off.
func (tb *browserTab) shotContext(d time.Duration) (dir string, ctx context.Context, cancel context.CancelFunc, ok bool) {
	dir = os.Getenv("TABLEE_SCREENSHOTS")
	if dir == "" {
		return "", nil, nil, false
	}
	_ = os.MkdirAll(dir, 0o755)
	ctx, cancel = context.WithTimeout(tb.ctx, d)
	return dir, ctx, cancel, true
}

func (tb *browserTab) screenshot(name string) {
	dir, ctx, cancel, ok := tb.shotContext(20 * time.Second)
	if !ok {
		return
	}
	defer cancel()
	// The page a screen at a time, as a person scrolls it (at most 4).
	for i := 0; i < 4; i++ {
		more, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { window.scrollTo(0, %d * innerHeight); return %d * innerHeight < document.documentElement.scrollHeight; })()`, i, i)))
		if err != nil || !more {
			break
		}
		time.Sleep(150 * time.Millisecond)
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			tb.t.Logf("%s: screenshot %s: %v", tb.name, name, err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, i+1)), buf, 0o644); err != nil {
			tb.t.Logf("screenshot: %v", err)
		}
	}
	_ = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
}

// setOffline cuts (or restores) the tab's network, and tells the page
// through navigator.onLine and the online/offline events.
func (tb *browserTab) setOffline(offline bool) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		tb.t.Fatalf("%s: network.enable: %v", tb.name, err)
	}
	cond := &network.Conditions{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{cond},
	}); err != nil {
		tb.t.Fatalf("%s: emulate network conditions: %v", tb.name, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		tb.t.Fatalf("%s: override network state: %v", tb.name, err)
	}
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// browserWorkshop is the workshop the browser tests use: two groups.
type browserWorkshop = testWorkshop

func browserCreateWorkshop(t *testing.T, base string) browserWorkshop {
	t.Helper()
	w := createWorkshop(t, base, "Groupe A", "Groupe B")
	if w.Code == "" || w.FacilitatorKey == "" || len(w.Groups) != 2 {
		t.Fatalf("unexpected workshop: %+v", w)
	}
	return w
}

func serverSectionText(t *testing.T, base, board, key, section string) string {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("%s/api/boards/%s?key=%s", base, board, key))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var snap struct {
		Sections map[string]struct {
			Text string `json:"text"`
		} `json:"sections"`
	}
	if err := json.NewDecoder(res.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	return snap.Sections[section].Text
}

// join walks a participant through the identity form into group 1's fiche.
func (tb *browserTab) join(base, code, name string) {
	tb.t.Helper()
	nameInput := chromedp.CSS(`input[autocomplete="given-name"]`)
	tb.do("open the participant page",
		chromedp.Navigate(base+"/j/"+code),
		chromedp.WaitVisible(nameInput),
		sendKeys(nameInput, name),
		chromedp.Click(chromedp.CSS(`.group-choices .choice:first-child label`)),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
	)
	tb.waitFor("the fiche", `document.querySelector('textarea[data-section="enjeux"]') && !document.querySelector('textarea[data-section="enjeux"]').disabled`, 15*time.Second)
	tb.waitFor("the saved state", `document.querySelector('.status[data-state="saved"]')`, 15*time.Second)
}

const enjeuxValue = `document.querySelector('textarea[data-section="enjeux"]').value`

func TestBrowserCoEditing(t *testing.T) {
	browser := startBrowser(t, 3*time.Minute)
	ts := startTestServer(t)
	w := browserCreateWorkshop(t, ts.URL)

	const evilName = `<img src=x onerror=alert(1)>`
	const evilTitle = `<b>Projet</b> "coop" & <script>alert(2)</script>`
	alice := openTab(t, browser, "alice (phone)", 390, 844)
	zoe := openTab(t, browser, "zoé (laptop)", 1280, 800)
	alice.join(ts.URL, w.Code, evilName)
	zoe.join(ts.URL, w.Code, "Zoé")
	// The FR/EN switch (headless Chromium asks for English).
	alice.do("switch to French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	alice.waitFor("the French interface", `document.documentElement.lang === 'fr' && document.querySelector('#section-enjeux h2').textContent.includes('Enjeux et motivations')`, 5*time.Second)
	alice.screenshot("participant-phone-empty")

	// Both type into the same section at the same time, alice at the start
	// and zoé at the end of a first line. (At the very same spot, the
	// protocol's tie rule may interleave their letters: see textbinding.test.js.)
	const fromAlice = "Nécessité é partagée"
	const fromZoe = "Plaisir 🌱 ensemble"
	section := chromedp.CSS(`textarea[data-section="enjeux"]`)
	const seed = " | "
	alice.do("type a first line", sendKeys(section, seed))
	zoe.waitFor("the first line", fmt.Sprintf(`%s === %s`, enjeuxValue, jsQuote(seed)), 15*time.Second)
	alice.do("caret at the start", chromedp.Evaluate[chromedp.Void](`document.querySelector('textarea[data-section="enjeux"]').setSelectionRange(0, 0)`))
	zoe.do("caret at the end", chromedp.Focus(section), chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector('textarea[data-section="enjeux"]'); ta.setSelectionRange(ta.value.length, ta.value.length); })()`))
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, p := range []struct {
		tb   *browserTab
		text string
	}{{alice, fromAlice}, {zoe, fromZoe}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(p.tb.ctx, 30*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, sendKeys(section, p.text)); err != nil {
				errs <- fmt.Errorf("%s: type: %w", p.tb.name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	converged := fmt.Sprintf(`(() => { const v = %s; return v.includes(%s) && v.includes(%s); })()`, enjeuxValue, jsQuote(fromAlice), jsQuote(fromZoe))
	alice.waitFor("both contributions", converged, 20*time.Second)
	zoe.waitFor("both contributions", converged, 20*time.Second)
	alice.waitFor("saved", `document.querySelector('.status[data-state="saved"]')`, 10*time.Second)
	zoe.waitFor("saved", `document.querySelector('.status[data-state="saved"]')`, 10*time.Second)
	a, z := browserEval[string](alice, enjeuxValue), browserEval[string](zoe, enjeuxValue)
	if a != z {
		t.Fatalf("the two pages differ:\nalice: %q\nzoé:   %q", a, z)
	}
	if want := fromAlice + seed + fromZoe; a != want {
		t.Fatalf("got %q, want %q", a, want)
	}
	if got := serverSectionText(t, ts.URL, w.Groups[0].Board, w.Code, "enjeux"); got != a {
		t.Fatalf("server has %q, pages have %q", got, a)
	}

	// An IME composition on zoé's side while alice types: nothing is sent or
	// overwritten mid-composition, and both end up with both texts.
	zoe.do("start a composition",
		chromedp.Focus(section),
		chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector('textarea[data-section="enjeux"]'); ta.setSelectionRange(0, 0); })()`),
	)
	if _, err := chromedp.Call(zoe.ctx, input.ImeSetComposition, input.ImeSetCompositionParams{Text: "e", SelectionStart: 1, SelectionEnd: 1}); err != nil {
		t.Fatalf("imeSetComposition: %v", err)
	}
	const duringIME = " (et sécurité)"
	alice.do("type during zoé's composition",
		chromedp.Focus(section),
		chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector('textarea[data-section="enjeux"]'); ta.setSelectionRange(ta.value.length, ta.value.length); })()`),
		sendKeys(section, duringIME),
	)
	alice.waitFor("saved", `document.querySelector('.status[data-state="saved"]')`, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // let alice's op reach zoé while she composes
	if _, err := chromedp.Call(zoe.ctx, input.InsertText, input.InsertTextParams{Text: "É"}); err != nil {
		t.Fatalf("commit composition: %v", err)
	}
	withIME := fmt.Sprintf(`(() => { const v = %s; return v.startsWith('É') && v.includes(%s) && v.includes(%s) && v.includes(%s); })()`,
		enjeuxValue, jsQuote(fromAlice), jsQuote(fromZoe), jsQuote(duringIME))
	alice.waitFor("the composed text", withIME, 20*time.Second)
	zoe.waitFor("alice's text typed during the composition", withIME, 20*time.Second)
	zoe.waitFor("saved", `document.querySelector('.status[data-state="saved"]')`, 10*time.Second)
	a, z = browserEval[string](alice, enjeuxValue), browserEval[string](zoe, enjeuxValue)
	if a != z {
		t.Fatalf("after the composition the pages differ:\nalice: %q\nzoé:   %q", a, z)
	}

	// Presence: zoé sees alice's name as text, not as markup.
	zoe.waitFor("alice in the presence list",
		fmt.Sprintf(`[...document.querySelectorAll('.people li')].some((li) => li.textContent === %s)`, jsQuote(evilName)), 15*time.Second)
	if n := browserEval[int](zoe, `document.querySelectorAll('.people img, img[src="x"]').length`); n != 0 {
		t.Fatalf("the name became %d <img> element(s)", n)
	}

	// The project title, also text that looks like markup.
	title := chromedp.CSS(`input.project-title`)
	alice.do("type the project title", sendKeys(title, evilTitle))
	zoe.waitFor("the project title", fmt.Sprintf(`document.querySelector('input.project-title').value === %s`, jsQuote(evilTitle)), 15*time.Second)
	// And a level of cooperation.
	zoe.do("choose a niveau", chromedp.Click(chromedp.CSS(`input[value="faire_corps"] + label`)))
	alice.waitFor("the niveau", `document.querySelector('input[value="faire_corps"]').checked`, 15*time.Second)
	alice.screenshot("participant-phone-filled")
	zoe.screenshot("participant-laptop-filled")

	// The facilitator's wall shows the group's text, live.
	facil := openTab(t, browser, "facilitator", 1440, 900)
	facil.do("open the wall", chromedp.Navigate(fmt.Sprintf("%s/f/%s#k=%s", ts.URL, w.Code, w.FacilitatorKey)))
	cardText := `(document.querySelector('.card:first-child [data-section-text="enjeux"]') || {}).textContent || ''`
	facil.waitFor("the group's text on the wall", fmt.Sprintf(`(%s) === %s`, cardText, jsQuote(a)), 20*time.Second)
	facil.waitFor("the project title on the wall", fmt.Sprintf(`document.querySelector('.card:first-child .card-title').textContent === %s`, jsQuote(evilTitle)), 10*time.Second)
	if n := browserEval[int](facil, `document.querySelectorAll('.card b, .card script, .card img').length`); n != 0 {
		t.Fatalf("the title became %d element(s) on the wall", n)
	}
	facil.waitFor("the join code in the header", fmt.Sprintf(`document.querySelector('.wall-head .big-code').textContent === %s`, jsQuote(w.Code)), 5*time.Second)
	facil.do("show the full texts", chromedp.Click(chromedp.CSS(`.wall-tools button`)))
	facil.waitFor("texts shown", `document.querySelector('.wall-grid.show-texts')`, 5*time.Second)

	// A live edit reaches the wall.
	const late = " — et la suite"
	alice.do("type more", sendKeys(section, late))
	facil.waitFor("the live edit on the wall", fmt.Sprintf(`(%s).includes(%s)`, cardText, jsQuote(late)), 15*time.Second)
	zoe.do("say the group is done", chromedp.Click(chromedp.CSS(`.btn-done`)))
	facil.waitFor("the done badge on the wall", `document.querySelector('.card:first-child .badge-done')`, 15*time.Second)
	alice.waitFor("done on the other phone", `document.querySelector('.btn-done').getAttribute('aria-pressed') === 'true'`, 15*time.Second)
	facil.screenshot("wall-laptop")

	// The projector screen follows as a viewer with the code only.
	proj := openTab(t, browser, "projector", 1920, 1080)
	proj.do("open the projector", chromedp.Navigate(fmt.Sprintf("%s/wall/%s", ts.URL, w.Code)))
	proj.waitFor("the text on the projector", fmt.Sprintf(`(%s).includes(%s)`, cardText, jsQuote(late)), 20*time.Second)
	if n := browserEval[int](proj, `document.querySelectorAll('.card-lock').length`); n != 0 {
		t.Fatalf("the projector shows %d lock button(s)", n)
	}
	proj.screenshot("wall-projector")

	// The facilitator locks the board: the participant's editors turn read-only.
	facil.do("lock group A", chromedp.Click(chromedp.CSS(`.card:first-child .card-lock`)))
	alice.waitFor("the lock notice", `!document.querySelector('.notice-lock').hidden && document.querySelector('textarea[data-section="enjeux"]').readOnly`, 15*time.Second)
	alice.screenshot("participant-phone-locked")

	for _, tb := range []*browserTab{alice, zoe, facil, proj} {
		tb.checkProblems()
	}
	if !strings.Contains(a, "🌱") || !strings.Contains(a, "é") {
		t.Fatalf("lost the accents or the emoji: %q", a)
	}
}

// A reload keeps the participant's identity and text, and typing offline is
// sent once the connection is back.
func TestBrowserReloadAndOffline(t *testing.T) {
	browser := startBrowser(t, 2*time.Minute)
	ts := startTestServer(t)
	w := browserCreateWorkshop(t, ts.URL)
	p := openTab(t, browser, "participant", 390, 844)
	p.join(ts.URL, w.Code, "Camille")
	section := chromedp.CSS(`textarea[data-section="calendrier"]`)
	p.do("type", sendKeys(section, "Étape 1"))
	p.waitFor("saved", `document.querySelector('.status[data-state="saved"]')`, 10*time.Second)

	// Textareas grow with their text (set from JavaScript, which the CSP
	// allows, unlike style attributes).
	long := chromedp.CSS(`textarea[data-section="financement"]`)
	p.do("type many lines", sendKeys(long, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj"))
	p.waitFor("the textarea grown to its text", `(() => { const ta = document.querySelector('textarea[data-section="financement"]'); return ta.style.height && ta.clientHeight + 4 >= ta.scrollHeight && ta.clientHeight > 200; })()`, 5*time.Second)

	p.do("reload", chromedp.Reload())
	p.waitFor("the text after reload", `(document.querySelector('textarea[data-section="calendrier"]') || {}).value === 'Étape 1'`, 15*time.Second)

	// Offline: the indicator says so, the edit waits, then goes through.
	p.setOffline(true)
	p.waitFor("the offline state", `document.querySelector('.status[data-state="offline"]')`, 15*time.Second)
	p.do("type offline", sendKeys(section, " puis 2"))
	p.screenshot("participant-phone-offline")
	p.setOffline(false)
	p.waitFor("saved after the network came back", `document.querySelector('.status[data-state="saved"]')`, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := serverSectionText(t, ts.URL, w.Groups[0].Board, w.Code, "calendrier")
		if got == "Étape 1 puis 2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server has %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.checkProblems()
}

// The landing page: create a workshop (groups added and removed), get the
// codes and links, then join with the code typed loosely.
func TestBrowserLanding(t *testing.T) {
	browser := startBrowser(t, 2*time.Minute)
	ts := startTestServer(t)
	p := openTab(t, browser, "facilitator", 1280, 900)
	p.do("open the landing page",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.panel-create input[name="title"]`)),
		sendKeys(chromedp.CSS(`.panel-create input[name="title"]`), "Atelier <i>test</i>"),
	)
	if n := browserEval[int](p, `document.querySelectorAll('.group-list input').length`); n != 4 {
		t.Fatalf("%d default groups, want 4", n)
	}
	p.do("remove a group, add one",
		chromedp.Click(chromedp.CSS(`.group-list li:nth-child(4) .btn-remove`)),
		chromedp.Click(chromedp.CSS(`.panel-create .btn-secondary`)),
	)
	p.waitFor("four groups again", `document.querySelectorAll('.group-list input').length === 4`, 5*time.Second)
	p.do("create", chromedp.Click(chromedp.CSS(`.panel-create button[type="submit"]`)))
	p.waitFor("the created workshop", `document.querySelector('.panel-create .big-code')`, 10*time.Second)
	code := browserEval[string](p, `document.querySelector('.panel-create .big-code').textContent`)
	links := browserEval[[]string](p, `[...document.querySelectorAll('.panel-create .link-input')].map((i) => i.value)`)
	if len(code) != 8 || len(links) != 2 || !strings.HasSuffix(links[0], "/j/"+code) || !strings.Contains(links[1], "/f/"+code+"#k=") {
		t.Fatalf("code %q, links %q", code, links)
	}
	p.waitFor("the QR code image", `(() => { const i = document.querySelector('.panel-create img.qr'); return i && i.complete && i.naturalWidth > 0; })()`, 10*time.Second)
	p.waitFor("the facilitator link kept in this browser", fmt.Sprintf(`(localStorage.getItem('tablee:workshops') || '').includes(%s)`, jsQuote(code)), 5*time.Second)
	p.screenshot("landing-created")

	// Back on the landing page, the workshop is listed; then join it.
	loose := strings.ToLower(code[:4] + " - " + code[4:])
	p.do("join with a loosely typed code",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.saved-item`)),
		sendKeys(chromedp.CSS(`.panel-join input[name="code"]`), loose),
		chromedp.Click(chromedp.CSS(`.panel-join button[type="submit"]`)),
	)
	p.waitFor("the participant page", fmt.Sprintf(`location.pathname === %s && document.querySelectorAll('.group-choices input').length === 4`, jsQuote("/j/"+code)), 10*time.Second)
	if got := browserEval[string](p, `document.querySelector('.workshop-title').textContent`); got != "Atelier <i>test</i>" {
		t.Fatalf("title shown as %q", got)
	}
	p.screenshot("join-identity")

	// An unknown code is refused on the spot.
	p.do("try an unknown code",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.panel-join input[name="code"]`)),
		sendKeys(chromedp.CSS(`.panel-join input[name="code"]`), "ZZZZ-ZZZZ"),
		chromedp.Click(chromedp.CSS(`.panel-join button[type="submit"]`)),
	)
	p.waitFor("the unknown-code message", `document.querySelector('.panel-join .form-error').textContent.includes('ZZZZZZZZ')`, 10*time.Second)
	p.checkProblems()
}
