package main

// Facilitation and restitution (issue 4) in a real headless Chromium,
// against the whole server: the facilitator's control room sees the
// groups' work live (filled sections, who is there, "done"), starts a
// timer every phone shows, locks a board (text areas and map read-only),
// sends everyone to a section ("look here"), moves a participant to
// another group, closes the workshop and deletes it; during a restitution
// a participant comments another group's board from a phone and the
// projector shows it live; the Markdown export the page links to holds
// every section, and the print view shows the fiche and its map. Every
// page must end without an uncaught exception, a dialog or a CSP violation.
//
// TABLEE_SCREENSHOTS=/some/dir saves screenshots (phone, laptop, projector,
// print view).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// joinGroup walks a participant through the identity form into group n
// (1-based) and waits for its fiche.
func (tb *browserTab) joinGroup(base, code, name string, n int) {
	tb.t.Helper()
	nameInput := chromedp.CSS(`input[autocomplete="given-name"]`)
	tb.do("open the participant page",
		chromedp.Navigate(base+"/j/"+code),
		chromedp.WaitVisible(nameInput),
		sendKeys(nameInput, name),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.group-choices .choice:nth-child(%d) label`, n))),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
	)
	tb.waitFor("the fiche", `document.querySelector('textarea[data-section="enjeux"]') && !document.querySelector('textarea[data-section="enjeux"]').disabled`, 15*time.Second)
	tb.waitFor("the saved state", `document.querySelector('.board-head .status[data-state="saved"]')`, 15*time.Second)
}

// countSockets makes the page count the WebSockets it opens (window.__ws),
// from the first script on.
func (tb *browserTab) countSockets() {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__ws = 0; (() => { const W = window.WebSocket; window.WebSocket = class extends W { constructor(...a) { super(...a); window.__ws += 1; } }; })();`,
	}); err != nil {
		tb.t.Fatalf("%s: install the socket counter: %v", tb.name, err)
	}
}

// printShot saves the page as it prints (A4 PDF) and a screenshot with the
// print media emulated.
func (tb *browserTab) printShot(name string) {
	dir, ctx, cancel, ok := tb.shotContext(30 * time.Second)
	if !ok {
		return
	}
	defer cancel()
	yes := true
	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69, PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".pdf"), pdf.Data, 0o644)
	} else {
		tb.t.Logf("%s: print to PDF: %v", tb.name, err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err == nil {
		if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name+"-media.png"), buf, 0o644)
		}
		_, _ = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
	}
}

// shotNow saves the screen as it is (no scrolling).
func (tb *browserTab) shotNow(name string) {
	dir, ctx, cancel, ok := tb.shotContext(20 * time.Second)
	if !ok {
		return
	}
	defer cancel()
	time.Sleep(400 * time.Millisecond) // let a smooth scroll end
	if buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	}
}

// shotAt saves screenshots of the page at another screen size, then goes back.
func (tb *browserTab) shotAt(name string, width, height, backW, backH int64) {
	if os.Getenv("TABLEE_SCREENSHOTS") == "" {
		return
	}
	tb.do("resize", chromedp.EmulateViewport(width, height))
	time.Sleep(300 * time.Millisecond)
	tb.screenshot(name)
	tb.do("resize back", chromedp.EmulateViewport(backW, backH))
}

type controlInfo struct {
	Control string `json:"control"`
	Closed  bool   `json:"closed"`
}

func workshopInfo(t *testing.T, base, code string) controlInfo {
	t.Helper()
	res, err := http.Get(base + "/api/workshops/" + code)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var w controlInfo
	if err := json.NewDecoder(res.Body).Decode(&w); err != nil {
		t.Fatal(err)
	}
	return w
}

func boardMeta(t *testing.T, base, boardID, key string) map[string]any {
	t.Helper()
	var snap struct {
		Meta map[string]any `json:"meta"`
	}
	mustBoardJSON(t, base, boardID, key, &snap)
	return snap.Meta
}

// clockSeconds reads "mm:ss" (or "h:mm:ss") as seconds; -1 if it is not one.
func clockSeconds(s string) int {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	total := 0
	for _, part := range strings.Split(s, ":") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return -1
		}
		total = total*60 + n
	}
	return total
}

// inView: the element's top is on screen, below the sticky header.
func inViewJS(selector string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; const r = e.getBoundingClientRect(); return r.top >= -2 && r.top < innerHeight * 0.6; })()`, jsQuote(selector))
}

func TestBrowserControlRoom(t *testing.T) {
	browser := startBrowser(t, 4*time.Minute)
	ts := startTestServer(t)
	w := browserCreateWorkshop(t, ts.URL)
	info := workshopInfo(t, ts.URL, w.Code)
	a, b := w.Groups[0], w.Groups[1]
	cardA := fmt.Sprintf(`.card[data-group=%s]`, jsQuote(a.ID))
	cardB := fmt.Sprintf(`.card[data-group=%s]`, jsQuote(b.ID))

	facil := openTab(t, browser, "facilitator (laptop)", 1440, 900)
	facil.do("open the control room", chromedp.Navigate(fmt.Sprintf("%s/f/%s#k=%s", ts.URL, w.Code, w.FacilitatorKey)))
	facil.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	facil.waitFor("the cards", fmt.Sprintf(`document.querySelector(%s) && !document.querySelector(%s).hasAttribute('aria-busy')`, jsQuote(cardA), jsQuote(cardA)), 20*time.Second)
	facil.waitFor("the control board", `!document.querySelector('.timer-start').disabled`, 15*time.Second)

	alice := openTab(t, browser, "alice (phone)", 390, 844)
	alice.countSockets()
	alice.joinGroup(ts.URL, w.Code, "Alice", 1)
	alice.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	bob := openTab(t, browser, "bob (phone)", 390, 844)
	bob.joinGroup(ts.URL, w.Code, "Bob", 2)

	// The control room shows the participant's work: who is there, a
	// section filled (and how much), then "done".
	facil.waitFor("alice on group A's card", fmt.Sprintf(`document.querySelector('%s .card-people-names').textContent.includes('Alice')`, cardA), 15*time.Second)
	if got := browserEval[bool](facil, fmt.Sprintf(`!!document.querySelector('%s .card-section[data-section="enjeux"].is-empty')`, cardA)); !got {
		t.Fatal("the enjeux section is not shown empty before anyone writes")
	}
	alice.do("write the enjeux", sendKeys(chromedp.CSS(`textarea[data-section="enjeux"]`), "Mutualiser un tiers-lieu"))
	facil.waitFor("the section filled on the card", fmt.Sprintf(`(() => { const li = document.querySelector('%s .card-section[data-section="enjeux"]'); return li.classList.contains('is-filled') && li.querySelector('.count').textContent.includes('24'); })()`, cardA), 15*time.Second)
	facil.waitFor("the progress", fmt.Sprintf(`document.querySelector('%s .badge-progress').textContent.startsWith('1/7')`, cardA), 5*time.Second)
	facil.waitFor("the last activity", fmt.Sprintf(`document.querySelector('%s .card-activity').textContent.includes('instant')`, cardA), 5*time.Second)
	alice.do("say the group is done", chromedp.Click(chromedp.CSS(`.btn-done`)))
	facil.waitFor("the done signal on the card", fmt.Sprintf(`document.querySelector('%s.is-done .badge-done')`, cardA), 15*time.Second)

	// The timer, started in the control room, shows on the phone and counts down.
	facil.do("start a 2-minute timer",
		sendKeys(chromedp.CSS(`.timer-form input[type="text"]`), "Travail en sous-groupes"),
		chromedp.SetValue(chromedp.CSS(`.timer-minutes`), "2"),
		chromedp.Click(chromedp.CSS(`.timer-start`)),
	)
	alice.waitFor("the timer on the phone", `(() => { const t = document.querySelector('.board-head .timer'); return t && !t.hidden && t.dataset.status === 'running' && t.querySelector('.timer-label').textContent === 'Travail en sous-groupes'; })()`, 15*time.Second)
	first := clockSeconds(browserEval[string](alice, `document.querySelector('.board-head .timer-clock').textContent`))
	if first < 100 || first > 120 {
		t.Fatalf("the phone shows %d s left of a 2-minute timer", first)
	}
	time.Sleep(2200 * time.Millisecond)
	second := clockSeconds(browserEval[string](alice, `document.querySelector('.board-head .timer-clock').textContent`))
	if second >= first || second < first-4 {
		t.Fatalf("the timer does not count down: %d s then %d s", first, second)
	}
	meta := boardMeta(t, ts.URL, info.Control, w.FacilitatorKey)
	if meta["timerRunning"] != true || meta["timerLabel"] != "Travail en sous-groupes" || meta["timerDuration"] != float64(120000) {
		t.Fatalf("control board meta: %v", meta)
	}
	facil.screenshot("control-laptop")
	facil.shotAt("control-1080p", 1920, 1080, 1440, 900)
	facil.shotAt("control-phone", 390, 844, 1440, 900)
	alice.screenshot("participant-phone-timer")
	// Paused: the phone says so and stops counting.
	facil.do("pause", chromedp.Click(chromedp.CSS(`.timer-pause`)))
	alice.waitFor("the paused timer", `document.querySelector('.board-head .timer').dataset.status === 'paused'`, 10*time.Second)
	facil.do("+5 min", chromedp.Click(chromedp.CSS(`.timer-plus5`)))
	alice.waitFor("five more minutes", `(() => { const s = document.querySelector('.board-head .timer-clock').textContent; return s >= '06:00' && s <= '07:00'; })()`, 10*time.Second)
	facil.do("resume", chromedp.Click(chromedp.CSS(`.timer-resume`)))
	alice.waitFor("running again", `document.querySelector('.board-head .timer').dataset.status === 'running'`, 10*time.Second)
	// Under a minute: the gentle warning.
	facil.do("a one-minute timer", chromedp.SetValue(chromedp.CSS(`.timer-minutes`), "1"), chromedp.Click(chromedp.CSS(`.timer-start`)))
	alice.waitFor("less than a minute", `document.querySelector('.board-head .timer.is-soon') && !document.querySelector('.board-head .timer.is-over')`, 10*time.Second)
	alice.shotNow("participant-phone-timer-soon")

	// Lock: the participant's text areas and map turn read-only.
	facil.do("lock group A", chromedp.Click(chromedp.CSS(cardA+` .card-lock`)))
	alice.waitFor("read-only fiche", `!document.querySelector('.notice-lock').hidden && [...document.querySelectorAll('textarea.section-text')].every((t) => t.readOnly) && document.querySelector('input.project-title').readOnly && document.querySelector('.btn-done').disabled`, 15*time.Second)
	alice.waitFor("read-only map", `document.querySelector('.map-frame.is-readonly') && document.querySelector('.map-tools-edit .btn-primary').disabled`, 10*time.Second)
	alice.do("try to type", sendKeys(chromedp.CSS(`textarea[data-section="animation"]`), "x"))
	time.Sleep(300 * time.Millisecond)
	if got := serverSectionText(t, ts.URL, a.Board, w.Code, "animation"); got != "" {
		t.Fatalf("a locked board took text: %q", got)
	}
	// Comments still go while it is locked (the room comments during a presentation).
	alice.do("comment her own locked fiche",
		sendKeys(chromedp.CSS(`.comment-form textarea`), "Pensez au calendrier"),
		chromedp.Click(chromedp.CSS(`.comment-form button[type="submit"]`)))
	facil.waitFor("the comment counted on the card", fmt.Sprintf(`(document.querySelector('%s .badge-comments') || {}).textContent?.includes('1 commentaire')`, cardA), 15*time.Second)
	alice.mapShot("participant-phone-comments", "#section-commentaires")
	facil.do("unlock group A", chromedp.Click(chromedp.CSS(cardA+` .card-lock`)))
	alice.waitFor("editable again", `document.querySelector('.notice-lock').hidden && !document.querySelector('textarea[data-section="animation"]').readOnly`, 15*time.Second)

	// "Everyone look here": the phone goes to the section asked, and says who asked.
	alice.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	facil.do("look at group A's funding",
		chromedp.SetValue(chromedp.CSS(`.focus-board`), a.Board),
		chromedp.SetValue(chromedp.CSS(`.focus-part`), "financement"),
		chromedp.Click(chromedp.CSS(`.focus-send`)),
	)
	alice.waitFor("the funding section on screen", inViewJS(`#section-financement`)+` && document.querySelector('#section-financement').classList.contains('is-focused')`, 10*time.Second)
	alice.waitFor("who asked", `[...document.querySelectorAll('.toast')].some((n) => /Animation|Facilitator/.test(n.textContent) && n.textContent.includes('regarder ici'))`, 5*time.Second)
	// Every device goes there: bob, in group B, sees group A's fiche at that section.
	bob.waitFor("group A's funding on bob's phone", `document.querySelector('.restitution .group-name') && document.querySelector('.restitution .group-name').textContent === 'Groupe A' && `+inViewJS(`.restitution [data-anchor="financement"]`), 10*time.Second)
	alice.shotNow("participant-phone-lookhere")
	bob.shotNow("participant-phone-lookhere-other")
	facil.waitFor("the focus in the control room", `document.querySelector('.focus-current').textContent.includes('Groupe A')`, 5*time.Second)
	facil.do("everyone back to their own fiche", chromedp.Click(chromedp.CSS(`.focus-release`)))
	bob.waitFor("bob back on his fiche", `document.querySelector('.group-name').textContent === 'Groupe B' && !document.querySelector('.restitution') && document.querySelector('textarea[data-section="calendrier"]')`, 10*time.Second)

	// A participant moved to another group: the page switches to it.
	facil.waitFor("alice in the placement list", `[...document.querySelectorAll('.placement-row')].some((r) => r.querySelector('.placement-name').textContent === 'Alice')`, 10*time.Second)
	facil.do("move alice to group B", chromedp.Evaluate[chromedp.Void](`(() => {
		const row = [...document.querySelectorAll('.placement-row')].find((r) => r.querySelector('.placement-name').textContent === 'Alice');
		row.querySelector('select').value = `+jsQuote(b.ID)+`;
		row.querySelector('.placement-move').click();
	})()`))
	alice.waitFor("alice now on group B's fiche", `document.querySelector('.group-name').textContent === 'Groupe B' && [...document.querySelectorAll('.toast')].some((n) => n.textContent.includes('Groupe B'))`, 15*time.Second)
	alice.waitFor("group B's fiche loaded", `document.querySelector('.board-head .status[data-state="saved"]') && !document.querySelector('textarea[data-section="enjeux"]').readOnly`, 15*time.Second)
	facil.waitFor("alice listed in group B", fmt.Sprintf(`document.querySelector('%s .card-people-names').textContent.includes('Alice')`, cardB), 15*time.Second)
	alice.do("write for group B", sendKeys(chromedp.CSS(`textarea[data-section="calendrier"]`), "Juin : lancement"))
	bob.waitFor("bob sees alice's text", `document.querySelector('textarea[data-section="calendrier"]').value === 'Juin : lancement'`, 15*time.Second)
	// A reload keeps her in group B.
	alice.do("reload", chromedp.Reload())
	alice.waitFor("still group B after a reload", `(document.querySelector('.group-name') || {}).textContent === 'Groupe B' && document.querySelector('.board-head .status[data-state="saved"]')`, 15*time.Second)

	// Close: everything read-only for the participants; a new page is a viewer.
	facil.do("close the workshop", chromedp.Click(chromedp.CSS(`.close-workshop`)))
	alice.waitFor("closed: read-only", `!document.querySelector('.notice-closed').hidden && [...document.querySelectorAll('textarea.section-text')].every((t) => t.readOnly) && document.querySelector('.comment-form').hidden && document.querySelector('.map-frame.is-readonly')`, 15*time.Second)
	bob.waitFor("closed for bob too", `!document.querySelector('.notice-closed').hidden && document.querySelector('textarea[data-section="enjeux"]').readOnly`, 15*time.Second)
	facil.waitFor("the closed banner", `!document.querySelector('.control-closed').hidden && document.querySelector('.close-workshop').dataset.closed === 'true'`, 10*time.Second)
	if !workshopInfo(t, ts.URL, w.Code).Closed {
		t.Fatal("the server's workshop is not closed")
	}
	bob.do("reload", chromedp.Reload())
	bob.waitFor("read-only after a reload", `document.querySelector('textarea[data-section="enjeux"]') && document.querySelector('textarea[data-section="enjeux"]').readOnly && document.querySelector('.board-head .status[data-state="readonly"]')`, 15*time.Second)
	bob.screenshot("participant-phone-closed")
	bob.mapShot("participant-phone-closed-exports", "#section-exports")
	// The facilitator still writes.
	facil.do("reopen", chromedp.Click(chromedp.CSS(`.close-workshop`)))
	alice.waitFor("reopened", `document.querySelector('.notice-closed').hidden && !document.querySelector('textarea[data-section="enjeux"]').readOnly`, 15*time.Second)
	facil.do("close again", chromedp.Click(chromedp.CSS(`.close-workshop`)))
	alice.waitFor("closed again", `!document.querySelector('.notice-closed').hidden`, 15*time.Second)
	facil.screenshot("control-laptop-closed")

	// Delete, with the code typed: every page says the workshop is gone and
	// nothing reconnects.
	facil.do("scroll to the danger zone", chromedp.Evaluate[chromedp.Void](`document.querySelector('.danger-zone').scrollIntoView()`))
	if !browserEval[bool](facil, `document.querySelector('.delete-workshop').disabled`) {
		t.Fatal("delete is possible without typing the code")
	}
	facil.do("type a wrong code", sendKeys(chromedp.CSS(`.delete-confirm`), "ABCD"))
	if !browserEval[bool](facil, `document.querySelector('.delete-workshop').disabled`) {
		t.Fatal("delete is possible with a wrong code")
	}
	loose := strings.ToLower(w.Code[:4] + "-" + w.Code[4:])
	facil.do("type the code", chromedp.Evaluate[chromedp.Void](`document.querySelector('.delete-confirm').value = ''`), sendKeys(chromedp.CSS(`.delete-confirm`), loose))
	facil.waitFor("delete enabled", `!document.querySelector('.delete-workshop').disabled`, 5*time.Second)
	socketsBefore := browserEval[int](alice, `window.__ws`)
	facil.do("delete", chromedp.Click(chromedp.CSS(`.delete-workshop`)))
	facil.waitFor("the deleted message (facilitator)", `document.querySelector('.message-page h1') && document.querySelector('.message-page h1').textContent === 'Atelier supprimé'`, 15*time.Second)
	alice.waitFor("the deleted message (participant)", `document.querySelector('.message-page h1') && document.querySelector('.message-page h1').textContent === 'Atelier supprimé'`, 15*time.Second)
	bob.waitFor("the deleted message (bob)", `document.querySelector('.message-page')`, 15*time.Second)
	alice.screenshot("participant-phone-deleted")
	time.Sleep(3 * time.Second)
	if n := browserEval[int](alice, `window.__ws`); n != socketsBefore {
		t.Fatalf("the participant's page reconnected after the delete (%d sockets, %d before)", n, socketsBefore)
	}
	if st, _ := doJSON(t, "GET", ts.URL+"/api/workshops/"+w.Code, "", nil); st != 404 {
		t.Fatalf("the workshop after delete: %d", st)
	}
	if strings.Contains(browserEval[string](facil, `localStorage.getItem('tablee:workshops') || ''`), w.Code) {
		t.Fatal("the deleted workshop is still listed on the facilitator's browser")
	}
	for _, tb := range []*browserTab{facil, alice, bob} {
		tb.checkProblems()
	}
}

func TestBrowserControlRestitution(t *testing.T) {
	browser := startBrowser(t, 4*time.Minute)
	ts := startTestServer(t)
	w := browserCreateWorkshop(t, ts.URL)
	a, b := w.Groups[0], w.Groups[1]
	cardB := fmt.Sprintf(`.card[data-group=%s]`, jsQuote(b.ID))

	facil := openTab(t, browser, "facilitator (laptop)", 1440, 900)
	facil.do("open the control room", chromedp.Navigate(fmt.Sprintf("%s/f/%s#k=%s", ts.URL, w.Code, w.FacilitatorKey)))
	facil.waitFor("the cards", fmt.Sprintf(`document.querySelector(%s) && !document.querySelector(%s).hasAttribute('aria-busy') && !document.querySelector('.card-look').disabled`, jsQuote(cardB), jsQuote(cardB)), 20*time.Second)
	facil.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	proj := openTab(t, browser, "projector", 1920, 1080)
	proj.do("open the projector", chromedp.Navigate(fmt.Sprintf("%s/wall/%s", ts.URL, w.Code)))
	proj.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	proj.waitFor("the overview", `document.querySelectorAll('.wall-grid .card:not([aria-busy])').length === 2`, 20*time.Second)

	// Group B writes every section of its fiche and draws a map.
	bob := openTab(t, browser, "bob (laptop)", 1280, 900)
	bob.joinGroup(ts.URL, w.Code, "Bob", 2)
	bob.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	texts := map[string]string{
		"etat_des_lieux": "Trois communes rurales, peu de services",
		"enjeux":         "Nécessité : garder une épicerie 🌱",
		"niveau":         "Faire avec, pour commencer",
		"ecosysteme":     "Mairie, centre social, AMAP",
		"animation":      "Un comité de pilotage mensuel",
		"financement":    "Région, LEADER, fondation",
		"calendrier":     "Septembre : statuts",
	}
	for _, s := range []string{"etat_des_lieux", "enjeux", "niveau", "ecosysteme", "animation", "financement", "calendrier"} {
		bob.do("write "+s, sendKeys(chromedp.CSS(fmt.Sprintf(`textarea[data-section="%s"]`, s)), texts[s]))
	}
	bob.do("name the project", sendKeys(chromedp.CSS(`input.project-title`), "Épicerie coopérative"))
	bob.waitMapReady()
	bob.addActor("Mairie de Boutaric", "collectivite", "coeur", "")
	bob.waitSaved()
	for s, want := range texts {
		if got := serverSectionText(t, ts.URL, b.Board, w.Code, s); got != want {
			t.Fatalf("server %s: %q, want %q", s, got, want)
		}
	}

	// The Markdown export the page links to holds every section's text.
	href := browserEval[string](bob, `document.querySelector('#section-exports a[href*="export.md"]').href`)
	res, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/markdown") {
		t.Fatalf("export %s: %d %s", href, res.StatusCode, res.Header.Get("Content-Type"))
	}
	for s, want := range texts {
		if !strings.Contains(string(md), want) {
			t.Errorf("the Markdown export lacks the %s text %q:\n%s", s, want, md)
		}
	}
	for _, want := range []string{"Épicerie coopérative", "Mairie de Boutaric", "## État des lieux du territoire", "## Calendrier prévisionnel"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the Markdown export lacks %q", want)
		}
	}
	jsonHref := browserEval[string](bob, `document.querySelector('#section-exports a[href*="export.json"]').href`)
	if res, err := http.Get(jsonHref); err != nil || res.StatusCode != 200 {
		t.Fatalf("JSON export %s: %v %v", jsonHref, err, res)
	} else {
		res.Body.Close()
	}

	// Alice, in group A, on her phone; the restitution of group B starts:
	// the board is locked and everyone looks at it.
	alice := openTab(t, browser, "alice (phone)", 390, 844)
	alice.joinGroup(ts.URL, w.Code, "Alice", 1)
	alice.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	facil.do("start the presentation's timer",
		sendKeys(chromedp.CSS(`.timer-form input[type="text"]`), "Restitution du groupe B"),
		chromedp.Click(chromedp.CSS(`.timer-presets .chip:first-child`)),
		chromedp.Click(chromedp.CSS(`.timer-start`)),
	)
	facil.do("lock group B", chromedp.Click(chromedp.CSS(cardB+` .card-lock`)))
	bob.waitFor("locked", `!document.querySelector('.notice-lock').hidden`, 10*time.Second)
	facil.do("everyone looks at group B", chromedp.Click(chromedp.CSS(cardB+` .card-look`)))
	alice.waitFor("group B's fiche on alice's phone, read-only", `document.querySelector('.restitution .group-name') && document.querySelector('.restitution .group-name').textContent === 'Groupe B' && document.querySelector('.restitution [data-section-text="financement"]').textContent === 'Région, LEADER, fondation' && !document.querySelector('.restitution textarea.section-text')`, 15*time.Second)
	alice.waitFor("who asked", `/Animation|Facilitator/.test(document.querySelector('.restitution .notice-focus').textContent)`, 5*time.Second)
	proj.waitFor("the projector shows group B", fmt.Sprintf(`document.querySelector('.projection[data-board=%s]') && document.querySelector('.projection-group').textContent === 'Groupe B'`, jsQuote(b.Board)), 15*time.Second)
	proj.waitFor("with its map", `document.querySelectorAll('.projection .map-view [data-actor]').length === 1`, 10*time.Second)
	proj.waitFor("and the timer", `(() => { const t = document.querySelector('.projection-head .timer'); return t && !t.hidden && t.textContent.includes('Restitution du groupe B'); })()`, 10*time.Second)
	alice.waitFor("the timer in the restitution", `(() => { const t = document.querySelector('.restitution .board-head .timer'); return t && !t.hidden && /0[45]:[0-5][0-9]/.test(t.textContent); })()`, 10*time.Second)

	// Alice adds an improvement suggestion from her phone: it appears live on
	// the projector, for the facilitator and for the group.
	const piste = "Associer la CAF au comité <b>dès septembre</b>"
	alice.do("write a suggestion",
		chromedp.Click(chromedp.CSS(`.restitution .comment-kind-choice input[value="piste"] + label`)),
		chromedp.SetValue(chromedp.CSS(`.restitution .comment-about select`), "financement"),
		sendKeys(chromedp.CSS(`.restitution .comment-form textarea`), piste),
	)
	alice.screenshot("participant-phone-restitution")
	alice.do("send it", chromedp.Click(chromedp.CSS(`.restitution .comment-form button[type="submit"]`)))
	onProjector := fmt.Sprintf(`[...document.querySelectorAll('.projection .comment-piste .comment-text-view')].some((n) => n.textContent === %s)`, jsQuote(piste))
	proj.waitFor("the suggestion on the projector", onProjector, 15*time.Second)
	if n := browserEval[int](proj, `document.querySelectorAll('.projection .comment b').length`); n != 0 {
		t.Fatal("a comment became markup")
	}
	proj.waitFor("its author and section", `[...document.querySelectorAll('.projection .comment-piste .comment-meta')].some((n) => n.textContent.includes('Alice') && n.textContent.includes('Pistes de financement'))`, 5*time.Second)
	bob.waitFor("the suggestion for the group", fmt.Sprintf(`[...document.querySelectorAll('.comment-text-view')].some((n) => n.textContent === %s)`, jsQuote(piste)), 15*time.Second)
	facil.waitFor("the suggestion counted in the control room", fmt.Sprintf(`document.querySelector('%s .badge-comments').textContent.includes('1 piste')`, cardB), 15*time.Second)
	facil.waitFor("and readable there", fmt.Sprintf(`[...document.querySelectorAll('%s .card-comments .comment-text-view')].some((n) => n.textContent === %s)`, cardB, jsQuote(piste)), 5*time.Second)
	proj.screenshot("projection-1080p")

	// Alice edits her own suggestion; she cannot change bob's comment.
	bob.do("bob comments his own fiche", sendKeys(chromedp.CSS(`.comment-form textarea`), "Merci pour vos retours"), chromedp.Click(chromedp.CSS(`.comment-form button[type="submit"]`)))
	alice.waitFor("bob's comment", `[...document.querySelectorAll('.restitution .comment')].some((n) => n.textContent.includes('Merci pour vos retours'))`, 15*time.Second)
	if n := browserEval[int](alice, `[...document.querySelectorAll('.restitution .comment')].filter((n) => n.textContent.includes('Merci pour vos retours') && n.querySelector('.comment-actions')).length`); n != 0 {
		t.Fatal("alice may edit bob's comment")
	}
	// (Clicked from script: a notice may cover the bottom of a phone's screen.)
	alice.do("edit her suggestion", chromedp.Evaluate[chromedp.Void](`document.querySelector('.restitution .comment.is-mine .comment-actions .btn-secondary').click()`))
	alice.waitFor("the edit box", `document.querySelector('.restitution .comment.is-mine textarea')`, 5*time.Second)
	alice.do("change the text",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.restitution .comment.is-mine textarea').value = ''`),
		sendKeys(chromedp.CSS(`.restitution .comment.is-mine textarea`), "Associer la CAF et la MSA"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.restitution .comment.is-mine .btn-primary').click()`))
	alice.waitFor("the edit on her phone", `(() => { const n = document.querySelector('.restitution .comment.is-mine .comment-text-view'); return n && n.textContent === 'Associer la CAF et la MSA'; })()`, 10*time.Second)
	proj.waitFor("the edit on the projector", `[...document.querySelectorAll('.projection .comment-text-view')].some((n) => n.textContent === 'Associer la CAF et la MSA')`, 15*time.Second)

	// The projector: next, previous, overview.
	proj.do("next group", chromedp.Click(chromedp.CSS(`.projection-next`)))
	proj.waitFor("group A", `document.querySelector('.projection-group').textContent === 'Groupe A'`, 5*time.Second)
	proj.do("overview", chromedp.Click(chromedp.CSS(`.projection-overview`)))
	proj.waitFor("the overview", `!document.querySelector('.wall-overview').hidden && document.querySelector('.wall-single').hidden`, 5*time.Second)
	proj.screenshot("projection-overview-1080p")
	proj.do("project group B from its card", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.card[data-group=%s] .card-project`, jsQuote(b.ID)))))
	proj.waitFor("group B again", `document.querySelector('.projection-group') && document.querySelector('.projection-group').textContent === 'Groupe B'`, 5*time.Second)

	// Everyone back to their own fiche.
	facil.do("release", chromedp.Click(chromedp.CSS(`.focus-release`)))
	alice.waitFor("alice back on her fiche", `document.querySelector('.group-name').textContent === 'Groupe A' && !document.querySelector('.restitution') && document.querySelector('textarea[data-section="enjeux"]')`, 15*time.Second)
	proj.waitFor("the projector back to the overview", `!document.querySelector('.wall-overview').hidden`, 15*time.Second)
	facil.screenshot("control-restitution")

	// The facilitator writes for group B (still locked for the group).
	// (In a tab of its own, as the control room's link opens it.)
	writeHref := browserEval[string](facil, fmt.Sprintf(`document.querySelector('%s .card-write').href`, cardB))
	if !strings.HasSuffix(writeHref, fmt.Sprintf("/f/%s#k=%s&g=%s", w.Code, w.FacilitatorKey, b.ID)) {
		t.Fatalf("the write-for-the-group link is %q", writeHref)
	}
	writer := openTab(t, browser, "facilitator writing for B", 1280, 900)
	writer.do("write for group B", chromedp.Navigate(writeHref))
	writer.waitFor("group B's fiche in edit mode", `document.querySelector('.group-name') && document.querySelector('.group-name').textContent === 'Groupe B' && document.querySelector('textarea[data-section="animation"]') && !document.querySelector('textarea[data-section="animation"]').readOnly`, 15*time.Second)
	writer.do("write", sendKeys(chromedp.CSS(`textarea[data-section="animation"]`), " (animé par la MJC)"))
	bob.waitFor("the facilitator's text for the group", `document.querySelector('textarea[data-section="animation"]').value === 'Un comité de pilotage mensuel (animé par la MJC)'`, 15*time.Second)

	// The print view: the fiche, its map and the comments.
	printer := openTab(t, browser, "print", 1000, 1300)
	printer.do("open the print view", chromedp.Navigate(ts.URL+browserEval[string](bob, `new URL(document.querySelector('#section-exports a[href*="/print/"]').href).pathname`)))
	printer.waitFor("the printable fiche", `document.querySelector('.print-doc') && document.querySelectorAll('.print-section').length === 7 && document.querySelector('.print-group').textContent === 'Groupe B'`, 15*time.Second)
	printer.waitFor("the map image", `(() => { const i = document.querySelector('.print-map-img'); return i && i.complete && i.naturalWidth > 0; })()`, 10*time.Second)
	if got := browserEval[string](printer, `document.querySelector('.print-section[data-section="financement"] .print-text').textContent`); got != texts["financement"] {
		t.Fatalf("print view: %q", got)
	}
	printer.waitFor("the suggestion in the print view", `document.querySelector('.print-comments').textContent.includes('Associer la CAF et la MSA')`, 5*time.Second)
	printer.screenshot("print-screen")
	printer.printShot("print-a4")

	for _, tb := range []*browserTab{facil, proj, bob, alice, writer, printer} {
		tb.checkProblems()
	}
	_ = a
}

// Preparing the workshop from the control room: title, dates, groups
// renamed, added and removed; a group that has started cannot be removed;
// the control room goes on after a group is removed under it, and a
// participant of a removed group is asked to choose another.
func TestBrowserControlPrepare(t *testing.T) {
	browser := startBrowser(t, 3*time.Minute)
	ts := startTestServer(t)
	w := browserCreateWorkshop(t, ts.URL)
	a, b := w.Groups[0], w.Groups[1]

	facil := openTab(t, browser, "facilitator (laptop)", 1440, 900)
	facil.do("open the control room", chromedp.Navigate(fmt.Sprintf("%s/f/%s#k=%s", ts.URL, w.Code, w.FacilitatorKey)))
	facil.waitFor("the control room", `document.querySelectorAll('.wall-grid .card:not([aria-busy])').length === 2 && document.querySelector('.prepare-form')`, 20*time.Second)
	facil.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))

	alice := openTab(t, browser, "alice (phone)", 390, 844)
	alice.joinGroup(ts.URL, w.Code, "Alice", 1)
	alice.do("write", sendKeys(chromedp.CSS(`textarea[data-section="enjeux"]`), "Déjà commencé"))
	alice.waitFor("saved", `document.querySelector('.board-head .status[data-state="saved"]')`, 10*time.Second)
	carla := openTab(t, browser, "carla (phone)", 390, 844)
	carla.joinGroup(ts.URL, w.Code, "Carla", 2)
	carla.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))

	rowA := fmt.Sprintf(`.prepare-groups li[data-id=%s]`, jsQuote(a.ID))
	rowB := fmt.Sprintf(`.prepare-groups li[data-id=%s]`, jsQuote(b.ID))
	facil.waitFor("group A cannot be removed any more", fmt.Sprintf(`document.querySelector('%s .btn-remove').disabled && !document.querySelector('%s .group-started').hidden`, rowA, rowA), 10*time.Second)
	if browserEval[bool](facil, fmt.Sprintf(`document.querySelector('%s .btn-remove').disabled`, rowB)) {
		t.Fatal("group B, never written on, cannot be removed")
	}
	facil.do("prepare",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.prepare-form input[name="title"]').value = ''`),
		sendKeys(chromedp.CSS(`.prepare-form input[name="title"]`), "Coopération — Lyon"),
		chromedp.SetValue(chromedp.CSS(`.prepare-form input[name="start"]`), "2026-12-01"),
		chromedp.SetValue(chromedp.CSS(`.prepare-form input[name="end"]`), "2026-12-02"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('%s input').value = ''`, rowA)),
		sendKeys(chromedp.CSS(rowA+` input`), "Groupe Alpha"),
		chromedp.Click(chromedp.CSS(rowB+` .btn-remove`)),
		chromedp.Click(chromedp.CSS(`.prepare-form > fieldset:last-of-type > .btn-secondary`)),
	)
	facil.waitFor("a new row", `document.querySelectorAll('.prepare-groups li').length === 2`, 5*time.Second)
	facil.do("name the new group", sendKeys(chromedp.CSS(`.prepare-groups li:last-child input`), "Groupe C"))
	facil.do("save", chromedp.Click(chromedp.CSS(`.prepare-form button[type="submit"]`)))
	facil.waitFor("saved", `document.querySelector('.prepare-form .form-ok').textContent !== ''`, 10*time.Second)
	facil.waitFor("the cards follow", `[...document.querySelectorAll('.wall-grid .card-group')].map((n) => n.textContent).join('|') === 'Groupe Alpha|Groupe C'`, 10*time.Second)
	facil.waitFor("the new group's board live", `document.querySelectorAll('.wall-grid .card:not([aria-busy])').length === 2`, 15*time.Second)
	facil.waitFor("the new title and dates", `document.querySelector('.wall-title h1').textContent === 'Coopération — Lyon' && document.querySelector('.wall-dates').textContent.includes('2026')`, 5*time.Second)

	// Carla's group is gone: she chooses another; the control room goes on.
	carla.waitFor("carla back to choosing a group", `document.querySelectorAll('.group-choices input').length === 2 && [...document.querySelectorAll('.group-choices label')].map((l) => l.textContent).join('|') === 'Groupe Alpha|Groupe C'`, 15*time.Second)
	carla.waitFor("told why", `[...document.querySelectorAll('.toast')].some((n) => n.textContent.includes('retiré votre groupe'))`, 5*time.Second)
	time.Sleep(time.Second)
	if browserEval[bool](facil, `!!document.querySelector('.message-page')`) {
		t.Fatal("the control room says the workshop is gone after a group was removed")
	}
	facil.waitFor("the control room connected", `document.querySelector('.wall-tools .status[data-state="saved"]') && !document.querySelector('.timer-start').disabled`, 15*time.Second)
	facil.do("lock Alpha", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.card[data-group=%s] .card-lock`, jsQuote(a.ID)))))
	alice.waitFor("alice's fiche locked", `!document.querySelector('.notice-lock').hidden`, 15*time.Second)
	facil.do("unlock Alpha", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.card[data-group=%s] .card-lock`, jsQuote(a.ID)))))
	carla.do("join group C", chromedp.Click(chromedp.CSS(`.group-choices .choice:nth-child(2) label`)), chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
	carla.waitFor("group C's fiche", `document.querySelector('.group-name') && document.querySelector('.group-name').textContent === 'Groupe C' && document.querySelector('.board-head .status[data-state="saved"]')`, 15*time.Second)
	facil.waitFor("carla in group C", `[...document.querySelectorAll('.card')].some((c) => c.querySelector('.card-group').textContent === 'Groupe C' && c.querySelector('.card-people-names').textContent.includes('Carla'))`, 15*time.Second)

	// A group that has started cannot be removed (the server says so too).
	facil.do("remove Alpha anyway", chromedp.Evaluate[chromedp.Void](`document.querySelector('.prepare-groups li:first-child').remove()`))
	facil.do("save", chromedp.Click(chromedp.CSS(`.prepare-form button[type="submit"]`)))
	facil.waitFor("refused", `document.querySelector('.prepare-form .form-error').textContent.includes('a commencé')`, 10*time.Second)
	facil.screenshot("control-prepare")
	for _, tb := range []*browserTab{facil, alice, carla} {
		tb.checkProblems()
	}
}
