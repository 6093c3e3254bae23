package main

// The ecosystem map ("Carte des acteurs") in a real headless Chromium,
// against the whole server: on a laptop an actor is added, dragged with the
// mouse, moved with the keyboard and undone, a link drawn; another person
// (another browser context) sees both with the right kinds and positions; a
// phone adds an actor through the form; a name that looks like HTML stays
// text; concurrent edits (a rename during a drag, a delete during a drag)
// end as people expect; a refused change is reverted and explained; the
// wall shows the map, small and full screen; the SVG export is a file with
// the names. Every page must end without an uncaught exception, a dialog or
// a CSP violation (checkProblems).
//
// TABLEE_SCREENSHOTS=/some/dir saves screenshots of the map (phone, laptop,
// wall, projector).

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

type mapElement struct {
	Elem  string         `json:"elem"`
	Props map[string]any `json:"props"`
}

// serverElements is the board's durable map, as the HTTP API answers it.
func serverElements(t *testing.T, base, boardID, key string) map[string]mapElement {
	t.Helper()
	var snap struct {
		Elements map[string]mapElement `json:"elements"`
	}
	mustBoardJSON(t, base, boardID, key, &snap)
	return snap.Elements
}

// waitServer polls the board until cond holds.
func waitServer(t *testing.T, base, boardID, key, what string, cond func(map[string]mapElement) bool) map[string]mapElement {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		els := serverElements(t, base, boardID, key)
		if cond(els) {
			return els
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(els)
			t.Fatalf("server: timed out waiting for %s; elements: %s", what, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func actorNamed(els map[string]mapElement, name string) (string, mapElement, bool) {
	for id, e := range els {
		if e.Elem == "actor" && e.Props["name"] == name {
			return id, e, true
		}
	}
	return "", mapElement{}, false
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// jsNum writes a coordinate as JavaScript prints it (positions are rounded
// to 0.1 by the app).
func jsNum(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// ---- page helpers ---------------------------------------------------------------

// actorIDJS finds an actor on the page by its full name (the <title>).
func actorIDJS(name string) string {
	return fmt.Sprintf(`(([...document.querySelectorAll('.map-edit [data-actor], .map-view [data-actor]')].find((g) => g.querySelector('title').textContent.split('\n')[0] === %s) || null)?.getAttribute('data-actor') || '')`, jsQuote(name))
}

func (tb *browserTab) actorID(name string) string {
	tb.t.Helper()
	tb.waitFor("the actor "+name, actorIDJS(name)+` !== ''`, 15*time.Second)
	return browserEval[string](tb, actorIDJS(name))
}

// actorCenter scrolls the map into view and gives the actor's centre on
// screen (CSS pixels of the viewport).
func (tb *browserTab) actorCenter(id string) (float64, float64) {
	tb.t.Helper()
	xy := browserEval[[]float64](tb, fmt.Sprintf(`(() => {
		const g = document.querySelector('[data-actor=%s]');
		const r = g.querySelector('.map-hit').getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`, jsQuote(id)))
	return xy[0], xy[1]
}

func (tb *browserTab) scrollMapIntoView() {
	tb.t.Helper()
	tb.do("scroll to the map", chromedp.Evaluate[chromedp.Void](`document.querySelector('.map-stage').scrollIntoView({ block: 'center' })`))
	time.Sleep(150 * time.Millisecond)
}

// touch sends one touch event with these fingers (none for touchEnd).
func (tb *browserTab) touch(typ input.DispatchTouchEventType, fingers [][2]float64) {
	tb.t.Helper()
	points := []*input.TouchPoint{}
	for i, f := range fingers {
		points = append(points, &input.TouchPoint{X: f[0], Y: f[1], ID: ptrTo(float64(i)), RadiusX: ptrTo(1.0), RadiusY: ptrTo(1.0), Force: ptrTo(1.0)})
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: points}); err != nil {
		tb.t.Fatalf("%s: touch: %v", tb.name, err)
	}
	time.Sleep(25 * time.Millisecond)
}

func leftHeld(p *input.DispatchMouseEventParams) {
	p.Button = input.MouseButtonLeft
	p.Buttons = 1
}

// mouseDown/mouseMoveTo/mouseUp: a drag in steps, as a hand does it.
func (tb *browserTab) mouseDown(x, y float64) {
	tb.do("mouse down", chromedp.MouseEvent(chromedp.MousePressed, x, y, leftHeld, chromedp.ClickCount(1)))
}

func (tb *browserTab) mouseMoveTo(x0, y0, x1, y1 float64, steps int) {
	for i := 1; i <= steps; i++ {
		k := float64(i) / float64(steps)
		tb.do("mouse move", chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*k, y0+(y1-y0)*k, leftHeld))
		time.Sleep(20 * time.Millisecond)
	}
}

func (tb *browserTab) mouseUp(x, y float64) {
	tb.do("mouse up", chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
}

func (tb *browserTab) waitMapReady() {
	tb.t.Helper()
	tb.waitFor("the map", `document.querySelector('.map-edit .map-svg') && !document.querySelector('.map-tools-edit .btn-primary').disabled`, 15*time.Second)
}

// addActor fills the map's form: name, kind, ring (and a note).
func (tb *browserTab) addActor(name, kind, ring, note string) {
	tb.t.Helper()
	tb.do("open the actor form", chromedp.Click(chromedp.CSS(`.map-tools-edit .btn-primary`)))
	tb.waitFor("the actor form", `document.querySelector('.map-panel form input[name="name"]')`, 5*time.Second)
	steps := []chromedp.Action[chromedp.Void]{
		sendKeys(chromedp.CSS(`.map-panel input[name="name"]`), name),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.map-panel input[value="%s"] + label`, kind))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.map-panel input[value="%s"] + label`, ring))),
	}
	if note != "" {
		steps = append(steps, sendKeys(chromedp.CSS(`.map-panel textarea[name="note"]`), note))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`.map-panel button[type="submit"]`)))
	tb.do("fill the actor form", steps...)
	tb.actorID(name)
	tb.waitFor("the form closed", `document.querySelector('.map-panel').hidden`, 5*time.Second)
}

func (tb *browserTab) waitSaved() {
	tb.t.Helper()
	tb.waitFor("saved", `document.querySelector('.status[data-state="saved"]')`, 15*time.Second)
}

// mapShot saves one screenshot with the map (or the given element) in view.
func (tb *browserTab) mapShot(name, selector string) {
	dir, ctx, cancel, ok := tb.shotContext(20 * time.Second)
	if !ok {
		return
	}
	defer cancel()
	_ = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(document.querySelector(%s) || document.body).scrollIntoView({ block: 'start' })`, jsQuote(selector))))
	time.Sleep(300 * time.Millisecond)
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Logf("%s: screenshot %s: %v", tb.name, name, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}

// transformOf is what the page draws for an actor, once any glide is over.
func (tb *browserTab) waitActorAt(id string, x, y float64) {
	tb.t.Helper()
	want := fmt.Sprintf("translate(%s %s)", jsNum(x), jsNum(y))
	tb.waitFor(fmt.Sprintf("the actor at %s", want),
		fmt.Sprintf(`(document.querySelector('[data-actor=%s]') || { getAttribute: () => '' }).getAttribute('transform') === %s`, jsQuote(id), jsQuote(want)), 15*time.Second)
}

// ---- the test ---------------------------------------------------------------------

func TestBrowserMap(t *testing.T) {
	browserCtx := startBrowser(t, 4*time.Minute)
	ts := startTestServer(t)
	w := browserCreateWorkshop(t, ts.URL)
	boardID := w.Groups[0].Board
	const evilName = `<img src=x onerror=alert(1)>`

	lea := openTab(t, browserCtx, "léa (laptop)", 1280, 900)
	zoe := openTab(t, browserCtx, "zoé (laptop)", 1280, 800)
	lea.join(ts.URL, w.Code, "Léa")
	lea.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	lea.waitMapReady()
	lea.waitFor("the French map", `document.querySelector('#section-carte h2').textContent.includes('Carte des acteurs')`, 5*time.Second)

	// Two actors through the form, placed on their rings.
	lea.addActor("Mairie de Boutaric", "collectivite", "proche", "Élu référent : M. Dupont")
	lea.addActor(evilName, "association", "coeur", "")
	els := waitServer(t, ts.URL, boardID, w.Code, "two actors", func(m map[string]mapElement) bool { return len(m) == 2 })
	mairieID, mairie, ok := actorNamed(els, "Mairie de Boutaric")
	if !ok || mairie.Props["kind"] != "collectivite" || mairie.Props["ring"] != "proche" || mairie.Props["note"] != "Élu référent : M. Dupont" {
		t.Fatalf("the Mairie on the server: %+v", mairie)
	}
	evilID, evil, _ := actorNamed(els, evilName)
	if evil.Props["ring"] != "coeur" || math.Hypot(num(evil.Props["x"]), num(evil.Props["y"])) > 160 {
		t.Fatalf("the association is not in the heart of the project: %+v", evil)
	}
	if math.Hypot(num(mairie.Props["x"]), num(mairie.Props["y"])) < 160 {
		t.Fatalf("the Mairie is not on the close partners' ring: %+v", mairie)
	}

	// Drag the Mairie with the mouse, in steps.
	lea.scrollMapIntoView()
	x0, y0 := lea.actorCenter(mairieID)
	x1, y1 := x0+160, y0+90
	lea.mouseDown(x0, y0)
	lea.mouseMoveTo(x0, y0, x1, y1, 12)
	lea.mouseUp(x1, y1)
	lea.waitSaved()
	els = waitServer(t, ts.URL, boardID, w.Code, "the dragged Mairie", func(m map[string]mapElement) bool {
		return num(m[mairieID].Props["x"]) != num(mairie.Props["x"])
	})
	moved := els[mairieID]
	// The drop follows the pointer: 160×90 CSS pixels in map units.
	upp := browserEval[float64](lea, `(() => { const s = document.querySelector('.map-edit .map-svg'); return s.viewBox.baseVal.width / s.getBoundingClientRect().width; })()`)
	dx := num(moved.Props["x"]) - num(mairie.Props["x"])
	dy := num(moved.Props["y"]) - num(mairie.Props["y"])
	if math.Abs(dx-160*upp) > 2 || math.Abs(dy-90*upp) > 2 {
		t.Fatalf("dragged by (%.1f, %.1f) map units, want about (%.1f, %.1f)", dx, dy, 160*upp, 90*upp)
	}
	lea.waitActorAt(mairieID, num(moved.Props["x"]), num(moved.Props["y"]))
	wantRing := "coeur"
	if d := math.Hypot(num(moved.Props["x"]), num(moved.Props["y"])); d >= 310 {
		wantRing = "territoire"
	} else if d >= 160 {
		wantRing = "proche"
	}
	if moved.Props["ring"] != wantRing {
		t.Fatalf("after the drag the ring is %v, want %s (it follows the distance)", moved.Props["ring"], wantRing)
	}

	// Ctrl+Z takes the drag back; the arrow keys move the focused actor.
	lea.do("focus the Mairie", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('[data-actor=%s]').focus()`, jsQuote(mairieID))))
	lea.do("undo", chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	waitServer(t, ts.URL, boardID, w.Code, "the drag undone", func(m map[string]mapElement) bool {
		return num(m[mairieID].Props["x"]) == num(mairie.Props["x"]) && num(m[mairieID].Props["y"]) == num(mairie.Props["y"]) && m[mairieID].Props["ring"] == "proche"
	})
	lea.do("move right with the keyboard", chromedp.KeyEvent(kb.ArrowRight+kb.ArrowRight+kb.ArrowDown))
	els = waitServer(t, ts.URL, boardID, w.Code, "the keyboard move", func(m map[string]mapElement) bool {
		return math.Abs(num(m[mairieID].Props["x"])-num(mairie.Props["x"])-20) < 0.01 && math.Abs(num(m[mairieID].Props["y"])-num(mairie.Props["y"])-10) < 0.01
	})
	mairie = els[mairieID]
	if got := browserEval[string](lea, `document.activeElement.getAttribute('data-actor') || ''`); got != mairieID {
		t.Fatalf("the focus left the moved actor (now on %q)", got)
	}
	// Enter edits the focused actor; Escape closes the form and gives the
	// focus back.
	lea.do("Enter", chromedp.KeyEvent(kb.Enter))
	lea.waitFor("the edit form", `document.querySelector('.map-panel input[name="name"]') && document.querySelector('.map-panel input[name="name"]').value === 'Mairie de Boutaric' && document.activeElement === document.querySelector('.map-panel input[name="name"]')`, 5*time.Second)
	lea.do("Escape", chromedp.KeyEvent(kb.Escape))
	lea.waitFor("the form closed, the focus back on the actor", fmt.Sprintf(`document.querySelector('.map-panel').hidden && document.activeElement.getAttribute('data-actor') === %s`, jsQuote(mairieID)), 5*time.Second)

	// Zoom in, then "Tout afficher" fits everything again.
	viewW := `document.querySelector('.map-edit .map-svg').viewBox.baseVal.width`
	fitW := browserEval[float64](lea, viewW)
	lea.do("zoom in twice", chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(2)`)), chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(2)`)))
	if w := browserEval[float64](lea, viewW); math.Abs(w-fitW/1.69) > 1 {
		t.Fatalf("after zooming in twice the view is %.1f wide, was %.1f", w, fitW)
	}
	lea.do("fit all", chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(3)`)))
	if w := browserEval[float64](lea, viewW); math.Abs(w-fitW) > 1 {
		t.Fatalf("after 'Tout afficher' the view is %.1f wide, want %.1f", w, fitW)
	}
	// Ctrl + wheel zooms where the pointer is; dragging the background pans.
	lea.scrollMapIntoView()
	corner := browserEval[[]float64](lea, `(() => { const r = document.querySelector('.map-edit .map-stage').getBoundingClientRect(); return [r.left + 20, r.top + 20]; })()`)
	lea.do("ctrl+wheel", chromedp.MouseEvent(chromedp.MouseWheel, corner[0]+200, corner[1]+200, func(p *input.DispatchMouseEventParams) {
		p.DeltaX = 0.001 // a zero would be left out, and both are required
		p.DeltaY = -300
		p.Modifiers = int64(chromedp.ModifierCtrl)
	}))
	lea.waitFor("zoomed by the wheel", fmt.Sprintf(`%s < %f`, viewW, fitW*0.8), 5*time.Second)
	viewX := `document.querySelector('.map-edit .map-svg').viewBox.baseVal.x`
	x0v := browserEval[float64](lea, viewX)
	lea.mouseDown(corner[0], corner[1])
	lea.mouseMoveTo(corner[0], corner[1], corner[0]+100, corner[1], 4)
	lea.mouseUp(corner[0]+100, corner[1])
	if x1v := browserEval[float64](lea, viewX); x1v >= x0v-10 {
		t.Fatalf("dragging the background did not pan: view x %.1f → %.1f", x0v, x1v)
	}
	lea.do("fit all", chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(3)`)))

	// A link, drawn on the map: "Tracer un lien", the Mairie, then the association.
	lea.scrollMapIntoView()
	lea.do("link mode", chromedp.Click(chromedp.CSS(`.map-tools-edit .map-btn:nth-child(2)`)))
	lea.waitFor("the link hint", `!document.querySelector('.map-hint').hidden`, 5*time.Second)
	mx, my := lea.actorCenter(mairieID)
	ax, ay := lea.actorCenter(evilID)
	lea.do("pick the two actors", chromedp.MouseClickXY(mx, my), chromedp.MouseClickXY(ax, ay))
	lea.waitFor("the link form", `document.querySelector('.map-panel select[name="from"]') && document.querySelector('.map-panel select[name="from"]').value !== '' && document.querySelector('.map-panel select[name="to"]').value !== ''`, 5*time.Second)
	lea.do("fill the link form",
		chromedp.Click(chromedp.CSS(`.map-panel input[value="financement"] + label`)),
		chromedp.Click(chromedp.CSS(`.map-panel input[value="faire_avec"] + label`)),
		sendKeys(chromedp.CSS(`.map-panel input[name="label"]`), "Subvention annuelle"),
		chromedp.Click(chromedp.CSS(`.map-panel button[type="submit"]`)),
	)
	lea.waitFor("the link on the map", `document.querySelectorAll('.map-edit [data-link]').length === 1`, 10*time.Second)
	els = waitServer(t, ts.URL, boardID, w.Code, "the link", func(m map[string]mapElement) bool { return len(m) == 3 })
	var linkID string
	for id, e := range els {
		if e.Elem == "link" {
			linkID = id
			if e.Props["from"] != mairieID || e.Props["to"] != evilID || e.Props["kind"] != "financement" || e.Props["niveau"] != "faire_avec" || e.Props["label"] != "Subvention annuelle" {
				t.Fatalf("the link on the server: %+v", e)
			}
		}
	}
	lea.waitSaved()
	lea.mapShot("map-laptop", "#section-carte")
	lea.do("full screen", chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(4)`)))
	lea.waitFor("the expanded map", `document.querySelector('.map-frame.is-expanded') && document.body.classList.contains('map-is-expanded')`, 5*time.Second)
	lea.mapShot("map-laptop-expanded", ".map-frame")
	lea.do("leave full screen", chromedp.KeyEvent(kb.Escape))
	lea.waitFor("the map back in the fiche", `!document.querySelector('.map-frame.is-expanded')`, 5*time.Second)

	// Zoé, another person on another computer, sees both actors with their
	// kinds and positions, and the link with its kind.
	zoe.join(ts.URL, w.Code, "Zoé")
	zoe.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	zoe.waitMapReady()
	zoe.waitActorAt(mairieID, num(mairie.Props["x"]), num(mairie.Props["y"]))
	zoe.waitActorAt(evilID, num(evil.Props["x"]), num(evil.Props["y"]))
	if label := browserEval[string](zoe, fmt.Sprintf(`document.querySelector('[data-actor=%s]').getAttribute('aria-label')`, jsQuote(mairieID))); label != "Mairie de Boutaric\u00a0: Collectivité, Partenaires proches" {
		t.Fatalf("zoé reads the Mairie as %q", label)
	}
	if label := browserEval[string](zoe, fmt.Sprintf(`document.querySelector('[data-actor=%s]').getAttribute('aria-label')`, jsQuote(evilID))); !strings.HasPrefix(label, evilName+"\u00a0: Association") {
		t.Fatalf("zoé reads the association as %q", label)
	}
	if fill := browserEval[string](zoe, fmt.Sprintf(`document.querySelector('[data-actor=%s] path[fill]').getAttribute('fill')`, jsQuote(mairieID))); fill != "#0072B2" {
		t.Fatalf("the Mairie's colour is %s", fill)
	}
	zoe.waitFor("the link", fmt.Sprintf(`(document.querySelector('[data-link=%s]') || { getAttribute: () => '' }).getAttribute('aria-label').includes('Financement')`, jsQuote(linkID)), 10*time.Second)
	if dash := browserEval[string](zoe, fmt.Sprintf(`document.querySelector('[data-link=%s] path[stroke-dasharray]').getAttribute('stroke-dasharray')`, jsQuote(linkID))); dash != "10 6" {
		t.Fatalf("the funding link is drawn with dashes %q", dash)
	}
	// The name that looks like HTML is text, everywhere.
	zoe.waitFor("the name as text in the list", fmt.Sprintf(`[...document.querySelectorAll('.map-item-name')].some((p) => p.textContent === %s)`, jsQuote(evilName)), 5*time.Second)
	if n := browserEval[int](zoe, `document.querySelectorAll('#section-carte img, .map-svg img, .map-svg foreignObject').length`); n != 0 {
		t.Fatalf("the name became %d element(s)", n)
	}

	// Concurrent edits. Léa drags the Mairie while Zoé renames it: the
	// move and the name both stay.
	lea.scrollMapIntoView()
	x0, y0 = lea.actorCenter(mairieID)
	lea.mouseDown(x0, y0)
	lea.mouseMoveTo(x0, y0, x0-60, y0-40, 5)
	zoe.waitFor("léa's move, live, and her name on it", fmt.Sprintf(`document.querySelector('[data-actor=%s]').getAttribute('transform') !== %s && document.querySelector('[data-actor=%s]').getAttribute('aria-label').includes('Léa')`,
		jsQuote(mairieID), jsQuote(fmt.Sprintf("translate(%s %s)", jsNum(num(mairie.Props["x"])), jsNum(num(mairie.Props["y"])))), jsQuote(mairieID)), 10*time.Second)
	zoe.do("rename the Mairie",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-action="edit"][data-id="%s"]`, mairieID))),
		chromedp.WaitVisible(chromedp.CSS(`.map-panel input[name="name"]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.map-panel input[name="name"]').value = ''`),
		sendKeys(chromedp.CSS(`.map-panel input[name="name"]`), "Ville de Boutaric"),
		chromedp.Click(chromedp.CSS(`.map-panel button[type="submit"]`)),
	)
	zoe.waitSaved()
	lea.mouseMoveTo(x0-60, y0-40, x0-120, y0-70, 6)
	lea.mouseUp(x0-120, y0-70)
	lea.waitSaved()
	els = waitServer(t, ts.URL, boardID, w.Code, "the rename and the move", func(m map[string]mapElement) bool {
		e := m[mairieID]
		return e.Props["name"] == "Ville de Boutaric" && num(e.Props["x"]) < num(mairie.Props["x"])-20
	})
	final := els[mairieID]
	for _, tb := range []*browserTab{lea, zoe} {
		tb.waitActorAt(mairieID, num(final.Props["x"]), num(final.Props["y"]))
		tb.waitFor("the new name", fmt.Sprintf(`document.querySelector('[data-actor=%s] title').textContent.startsWith('Ville de Boutaric')`, jsQuote(mairieID)), 10*time.Second)
	}

	// A third actor, then Léa drags it while Zoé deletes it: the drag ends
	// quietly, nobody gets an error, the actor is gone everywhere.
	lea.addActor("Fondation du Crédit Coopératif", "financeur", "territoire", "")
	fondID := lea.actorID("Fondation du Crédit Coopératif")
	zoe.actorID("Fondation du Crédit Coopératif")
	lea.waitSaved()
	lea.scrollMapIntoView()
	x0, y0 = lea.actorCenter(fondID)
	lea.mouseDown(x0, y0)
	lea.mouseMoveTo(x0, y0, x0+30, y0+30, 4)
	zoe.do("delete the Fondation",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-action="delete"][data-id="%s"]`, fondID))),
		chromedp.WaitVisible(chromedp.CSS(`.map-confirm .btn-danger-solid`)),
		chromedp.Click(chromedp.CSS(`.map-confirm .btn-danger-solid`)),
	)
	lea.waitFor("the Fondation gone", fmt.Sprintf(`!document.querySelector('[data-actor=%s]')`, jsQuote(fondID)), 10*time.Second)
	lea.mouseMoveTo(x0+30, y0+30, x0+80, y0+60, 4)
	lea.mouseUp(x0+80, y0+60)
	lea.waitSaved()
	waitServer(t, ts.URL, boardID, w.Code, "the Fondation deleted", func(m map[string]mapElement) bool { _, ok := m[fondID]; return !ok && len(m) == 3 })
	if n := browserEval[int](lea, `document.querySelectorAll('.toast-error').length`); n != 0 {
		t.Fatalf("léa got %d error(s) for moving an actor someone deleted: %s", n, browserEval[string](lea, `[...document.querySelectorAll('.toast')].map((x) => x.textContent).join(' | ')`))
	}

	// Deleting an actor asks first, takes its links along, and Undo brings
	// both back (with new ids).
	lea.do("select the association", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('[data-actor=%s]').focus()`, jsQuote(evilID))))
	lea.do("press Delete", chromedp.KeyEvent(kb.Delete))
	lea.waitFor("the confirmation", `document.querySelector('.map-confirm') && document.querySelector('.map-confirm').textContent.includes('lien')`, 5*time.Second)
	lea.mapShot("map-laptop-confirm", "#section-carte")
	lea.do("confirm", chromedp.Click(chromedp.CSS(`.map-confirm .btn-danger-solid`)))
	waitServer(t, ts.URL, boardID, w.Code, "the association and its link deleted", func(m map[string]mapElement) bool { return len(m) == 1 })
	zoe.waitFor("the link gone for zoé", `document.querySelectorAll('.map-edit [data-link]').length === 0`, 10*time.Second)
	lea.do("undo with the button", chromedp.Click(chromedp.CSS(`.map-tools-edit .map-btn:nth-child(5)`)))
	els = waitServer(t, ts.URL, boardID, w.Code, "the association back with its link", func(m map[string]mapElement) bool { return len(m) == 3 })
	back, backEl, ok := actorNamed(els, evilName)
	if !ok || back == evilID || backEl.Props["kind"] != "association" || num(backEl.Props["x"]) != num(evil.Props["x"]) {
		t.Fatalf("the association came back as %s %+v (old id %s)", back, backEl, evilID)
	}
	for id, e := range els {
		if e.Elem == "link" && (id == linkID || e.Props["from"] != mairieID || e.Props["to"] != back || e.Props["kind"] != "financement") {
			t.Fatalf("the link came back as %s %+v", id, e)
		}
	}
	zoe.waitFor("both back for zoé", `document.querySelectorAll('.map-edit [data-link]').length === 1 && document.querySelectorAll('.map-edit [data-actor]').length === 2`, 10*time.Second)

	// A change the server refuses: the map takes it back and says why.
	lea.do("corrupt the next submit", chromedp.Evaluate[chromedp.Void](`(() => {
		const send = WebSocket.prototype.send;
		WebSocket.prototype.send = function (data) {
			try {
				const m = JSON.parse(data);
				if (m.type === 'submit' && !window.__corrupted) {
					for (const c of m.changes) if (c.kind === 'create' && c.props) { c.props.kind = 'martien'; window.__corrupted = true; }
					data = JSON.stringify(m);
				}
			} catch (e) { /* not ours */ }
			return send.call(this, data);
		};
	})()`))
	lea.do("add an actor the server will refuse",
		chromedp.Click(chromedp.CSS(`.map-tools-edit .btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.map-panel input[name="name"]`)),
		sendKeys(chromedp.CSS(`.map-panel input[name="name"]`), "Refusé"),
		chromedp.Click(chromedp.CSS(`.map-panel button[type="submit"]`)),
	)
	lea.waitFor("the explanation", `[...document.querySelectorAll('.toast-error')].some((x) => x.textContent.includes('La carte n’a pas enregistré') && x.textContent.includes('valeur'))`, 10*time.Second)
	lea.waitFor("the refused actor taken off the map", actorIDJS("Refusé")+` === '' && ![...document.querySelectorAll('.map-item-name')].some((p) => p.textContent === 'Refusé')`, 10*time.Second)
	lea.do("close the notice", chromedp.Click(chromedp.CSS(`.toast-error .toast-close`)))
	if _, _, found := actorNamed(serverElements(t, ts.URL, boardID, w.Code), "Refusé"); found {
		t.Fatal("the refused actor is on the server")
	}

	// The SVG export: a file with the names (escaped), downloaded for real.
	dlDir := t.TempDir()
	bctx := chromedp.FromContext(lea.ctx).BrowserContextID
	if _, err := chromedp.CallBrowser(lea.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: bctx, DownloadPath: dlDir, EventsEnabled: ptrTo(true),
	}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	dlCtx, dlCancel := context.WithTimeout(lea.ctx, 20*time.Second)
	defer dlCancel()
	begins := chromedp.BrowserEvents(dlCtx, browser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(dlCtx, browser.DownloadProgress)
	lea.do("export as SVG", chromedp.Click(chromedp.CSS(`.map-tools-export button:nth-of-type(1)`)))
	var suggested string
	for ev, err := range begins {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		suggested = ev.SuggestedFilename
		break
	}
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
	}
	data, err := os.ReadFile(filepath.Join(dlDir, guid))
	if err != nil {
		t.Fatalf("the exported file: %v", err)
	}
	svg := string(data)
	if suggested != "carte-acteurs-groupe-a.svg" {
		t.Errorf("the file is named %q", suggested)
	}
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, "Ville de Boutaric", "&lt;img src=x onerror=alert(1)&gt;", "Subvention annuelle", "Collectivité", "Tension / concurrence", "Cœur du projet", `font-family="sans-serif"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG export lacks %q", want)
		}
	}
	if strings.Contains(svg, "<img") || strings.Contains(svg, "<script") || strings.Contains(svg, "class=") {
		t.Errorf("the SVG export is not plain: %s", svg[:min(len(svg), 400)])
	}
	// The PNG export renders in a canvas (no tainted canvas, no CSP block).
	pngs := chromedp.BrowserEvents(dlCtx, browser.DownloadWillBegin)
	pngDone := chromedp.BrowserEvents(dlCtx, browser.DownloadProgress)
	lea.do("export as PNG", chromedp.Click(chromedp.CSS(`.map-tools-export button:nth-of-type(2)`)))
	for ev, err := range pngs {
		if err != nil {
			t.Fatalf("PNG download: %v", err)
		}
		if ev.SuggestedFilename != "carte-acteurs-groupe-a.png" {
			t.Errorf("the PNG is named %q", ev.SuggestedFilename)
		}
		break
	}
	for ev, err := range pngDone {
		if err != nil {
			t.Fatalf("PNG download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted && ev.GUID != guid {
			png, err := os.ReadFile(filepath.Join(dlDir, ev.GUID))
			if err != nil || len(png) < 1000 || string(png[1:4]) != "PNG" {
				t.Fatalf("the PNG export: %d bytes, %v", len(png), err)
			}
			if dir := os.Getenv("TABLEE_SCREENSHOTS"); dir != "" {
				_ = os.WriteFile(filepath.Join(dir, "export.png"), png, 0o644)
				_ = os.WriteFile(filepath.Join(dir, "export.svg"), data, 0o644)
			}
			break
		}
	}
	lea.waitFor("the PNG button back", `!document.querySelector('.map-tools-export button:nth-of-type(2)').disabled`, 10*time.Second)

	// A phone: the form places the actor on its ring, no dragging needed.
	cam := openTab(t, browserCtx, "camille (phone)", 390, 844)
	cam.do("phone emulation", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	cam.join(ts.URL, w.Code, "Camille")
	cam.do("French", chromedp.Click(chromedp.CSS(`[data-lang="fr"]`)))
	cam.waitMapReady()
	cam.mapShot("map-phone", "#section-carte")
	cam.do("open the form", chromedp.Click(chromedp.CSS(`.map-tools-edit .btn-primary`)))
	cam.waitFor("the form", `document.querySelector('.map-panel input[name="name"]')`, 5*time.Second)
	cam.mapShot("map-phone-form", ".map-panel")
	cam.do("fill it",
		sendKeys(chromedp.CSS(`.map-panel input[name="name"]`), "Réseau des tiers-lieux"),
		chromedp.Click(chromedp.CSS(`.map-panel input[value="reseau"] + label`)),
		chromedp.Click(chromedp.CSS(`.map-panel input[value="territoire"] + label`)),
		chromedp.Click(chromedp.CSS(`.map-panel button[type="submit"]`)),
	)
	els = waitServer(t, ts.URL, boardID, w.Code, "the phone's actor", func(m map[string]mapElement) bool {
		_, _, ok := actorNamed(m, "Réseau des tiers-lieux")
		return ok
	})
	rid, reseau, _ := actorNamed(els, "Réseau des tiers-lieux")
	if d := math.Hypot(num(reseau.Props["x"]), num(reseau.Props["y"])); reseau.Props["ring"] != "territoire" || reseau.Props["kind"] != "reseau" || d < 310 || d > 460 {
		t.Fatalf("the phone's actor: %+v (distance %.0f)", reseau, d)
	}
	lea.waitActorAt(rid, num(reseau.Props["x"]), num(reseau.Props["y"]))
	cam.waitFor("the list on the phone", `document.querySelectorAll('.map-list .map-item').length === 4`, 10*time.Second)
	cam.do("full screen on the phone",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.map-tools-view').scrollIntoView({ block: 'center' })`),
		chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(4)`)))
	cam.waitFor("the expanded map", `document.querySelector('.map-frame.is-expanded')`, 5*time.Second)
	cam.mapShot("map-phone-expanded", ".map-frame")
	// In full screen a finger drags an actor, and two fingers zoom.
	fx, fy := cam.actorCenter(rid)
	cam.touch(input.DispatchTouchEventTypeTouchStart, [][2]float64{{fx, fy}})
	for i := 1; i <= 6; i++ {
		cam.touch(input.DispatchTouchEventTypeTouchMove, [][2]float64{{fx - float64(i)*8, fy + float64(i)*6}})
	}
	cam.touch(input.DispatchTouchEventTypeTouchEnd, nil)
	waitServer(t, ts.URL, boardID, w.Code, "the actor dragged with a finger", func(m map[string]mapElement) bool {
		return num(m[rid].Props["x"]) < num(reseau.Props["x"])-20 && num(m[rid].Props["y"]) > num(reseau.Props["y"])+15
	})
	camW := `document.querySelector('.map-edit .map-svg').viewBox.baseVal.width`
	w0 := browserEval[float64](cam, camW)
	cam.touch(input.DispatchTouchEventTypeTouchStart, [][2]float64{{150, 300}, {220, 380}})
	for i := 1; i <= 5; i++ {
		d := float64(i) * 12
		cam.touch(input.DispatchTouchEventTypeTouchMove, [][2]float64{{150 - d, 300 - d}, {220 + d, 380 + d}})
	}
	cam.touch(input.DispatchTouchEventTypeTouchEnd, nil)
	if w1 := browserEval[float64](cam, camW); w1 > w0*0.75 {
		t.Fatalf("a pinch did not zoom in: the view went from %.0f to %.0f wide", w0, w1)
	}
	cam.do("leave full screen", chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(4)`)))
	cam.waitFor("the map back in the fiche", `!document.querySelector('.map-frame.is-expanded')`, 5*time.Second)
	// In the fiche, a tap on an actor opens its form (no dragging there: the
	// page scrolls under the finger).
	cam.do("show all", chromedp.Click(chromedp.CSS(`.map-tools-view .map-btn:nth-child(3)`)))
	cam.scrollMapIntoView()
	tx, ty := cam.actorCenter(rid)
	cam.do("tap the actor", chromedp.TapXY(tx, ty))
	cam.waitFor("its form", `(document.querySelector('.map-panel input[name="name"]') || {}).value === 'Réseau des tiers-lieux'`, 5*time.Second)
	cam.do("close the form", chromedp.Click(chromedp.CSS(`.map-panel .map-form-actions .btn-secondary`)))
	cam.mapShot("map-phone-after", "#section-carte")
	cam.mapShot("map-phone-list", ".map-lists")

	// The wall: each group's map, small, and full screen on a click.
	facil := openTab(t, browserCtx, "facilitator", 1440, 900)
	facil.do("open the wall", chromedp.Navigate(fmt.Sprintf("%s/f/%s#k=%s", ts.URL, w.Code, w.FacilitatorKey)))
	facil.waitFor("the map on the card", `(document.querySelector('.card:first-child .map-thumb-btn') || {}).textContent?.includes('Ville de Boutaric') && document.querySelector('.card:first-child .card-map-count').textContent.includes('3')`, 20*time.Second)
	facil.waitFor("the empty map of group B", `document.querySelector('.card:nth-child(2) .card-map-empty')`, 5*time.Second)
	lea.addActor("Centre social", "institution", "coeur", "")
	waitServer(t, ts.URL, boardID, w.Code, "the Centre social, an institution", func(m map[string]mapElement) bool {
		_, e, ok := actorNamed(m, "Centre social")
		return ok && e.Props["kind"] == "institution" && e.Props["ring"] == "coeur"
	})
	facil.waitFor("a new actor, live on the wall", `document.querySelector('.card:first-child .map-thumb-btn').textContent.includes('Centre social')`, 15*time.Second)
	facil.mapShot("map-wall", ".wall-grid")
	facil.do("open the large view", chromedp.Click(chromedp.CSS(`.card:first-child .map-thumb-btn`)))
	facil.waitFor("the large view", `document.querySelectorAll('.map-dialog [data-actor]').length === 4 && document.querySelectorAll('.map-dialog [data-link]').length === 1`, 10*time.Second)
	if n := browserEval[int](facil, `document.querySelectorAll('.map-dialog .map-tools-edit, .map-dialog .map-item-actions').length`); n != 0 {
		t.Fatal("the wall's map can be edited")
	}
	facil.mapShot("map-wall-large", ".map-dialog")
	facil.do("close it", chromedp.KeyEvent(kb.Escape))
	facil.waitFor("closed", `!document.querySelector('.map-dialog')`, 5*time.Second)

	// Locked by the facilitator: the map is read-only for the participants.
	facil.do("lock group A", chromedp.Click(chromedp.CSS(`.card:first-child .card-lock`)))
	lea.waitFor("the map read-only", `document.querySelector('.map-frame.is-readonly') && document.querySelector('.map-tools-edit .btn-primary').disabled && !document.querySelector('.map-item-actions')`, 15*time.Second)
	lea.scrollMapIntoView()
	x0, y0 = lea.actorCenter(mairieID)
	before := serverElements(t, ts.URL, boardID, w.Code)[mairieID]
	lea.mouseDown(x0, y0)
	lea.mouseMoveTo(x0, y0, x0+80, y0+80, 4)
	lea.mouseUp(x0+80, y0+80)
	time.Sleep(300 * time.Millisecond)
	if after := serverElements(t, ts.URL, boardID, w.Code)[mairieID]; num(after.Props["x"]) != num(before.Props["x"]) {
		t.Fatalf("a locked map moved: %v → %v", before.Props, after.Props)
	}
	lea.mapShot("map-laptop-locked", "#section-carte")
	facil.do("unlock group A", chromedp.Click(chromedp.CSS(`.card:first-child .card-lock`)))
	lea.waitFor("the map editable again", `!document.querySelector('.map-frame.is-readonly') && !document.querySelector('.map-tools-edit .btn-primary').disabled`, 15*time.Second)

	proj := openTab(t, browserCtx, "projector", 1920, 1080)
	proj.do("open the projector", chromedp.Navigate(fmt.Sprintf("%s/wall/%s", ts.URL, w.Code)))
	proj.waitFor("the map on the projector", `(document.querySelector('.card:first-child .map-thumb-btn') || {}).textContent?.includes('Centre social')`, 20*time.Second)
	proj.do("open the large view", chromedp.Click(chromedp.CSS(`.card:first-child .map-thumb-btn`)))
	proj.waitFor("the large view", `document.querySelectorAll('.map-dialog [data-actor]').length === 4`, 10*time.Second)
	proj.mapShot("map-projector-large", ".map-dialog")

	for _, tb := range []*browserTab{lea, zoe, cam, facil, proj} {
		tb.checkProblems()
	}
	// Nothing but the expected error notice on the pages.
	if n := browserEval[int](zoe, `document.querySelectorAll('.toast-error').length`); n != 0 {
		t.Errorf("zoé got %d error notice(s)", n)
	}
}

func ptrTo[T any](v T) *T { return &v }
