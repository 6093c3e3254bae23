package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func doJSON(t *testing.T, method, url, key string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, url, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func errCodeOf(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// TestFacilitatorOnly: every facilitator action is checked on the server.
func TestFacilitatorOnly(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	base := ts.URL + "/api/workshops/" + w.Code
	for _, key := range []string{"", w.Code, "not-a-key"} {
		cases := []struct {
			method, path string
			body         any
		}{
			{"PATCH", "", map[string]any{"title": "Pris"}},
			{"POST", "/close", map[string]any{"closed": true}},
			{"DELETE", "", nil},
			{"GET", "/archive.zip", nil},
		}
		for _, c := range cases {
			st, body := doJSON(t, c.method, base+c.path, key, c.body)
			if st != 403 || errCodeOf(body) != "forbidden" {
				t.Fatalf("%s %s with key %q: %d %v", c.method, c.path, key, st, body)
			}
		}
	}
	// A participant cannot lock a board nor write on the control board.
	var info struct{ Control string }
	res, _ := http.Get(base)
	json.NewDecoder(res.Body).Decode(&info)
	res.Body.Close()
	p := dial(t, ts)
	p.hello(w.Groups[0].Board, w.Code)
	p.submit(w.Groups[0].Board, 1, 0, map[string]any{"kind": "meta", "props": map[string]any{"locked": true}})
	if m := p.next("reject"); m.Code != "forbidden" {
		t.Fatalf("participant lock: %s", m.raw)
	}
	if m := p.hello(info.Control, w.Code); m.Type != "welcome" || m.Role != "participant" {
		t.Fatalf("control board for a participant: %s", m.raw)
	}
	p.submit(info.Control, 1, 0, map[string]any{"kind": "meta", "props": map[string]any{"timerRunning": true}})
	if m := p.next("reject"); m.Code != "forbidden" {
		t.Fatalf("participant timer: %s", m.raw)
	}
	p.submit(info.Control, 2, 0, map[string]any{"kind": "create", "id": "as1", "elem": "assign",
		"props": map[string]any{"client": p.id, "group": w.Groups[1].ID}})
	if m := p.next("reject"); m.Code != "forbidden" {
		t.Fatalf("participant moving someone: %s", m.raw)
	}
	// The facilitator can.
	f := dial(t, ts)
	f.hello(info.Control, w.FacilitatorKey)
	f.submit(info.Control, 1, 0, map[string]any{"kind": "meta", "props": map[string]any{
		"timerLabel": "Travail en sous-groupes", "timerDuration": 1800000, "timerRunning": true, "timerEndsAt": time.Now().Add(30 * time.Minute).UnixMilli()}})
	if m := f.next("ack", "reject"); m.Type != "ack" {
		t.Fatalf("facilitator timer: %s", m.raw)
	}
	if m := p.next("op"); m.V != 1 {
		t.Fatalf("participant sees the timer: %s", m.raw)
	}
}

func TestWorkshopPrepareCloseDelete(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL, "Groupe A", "Groupe B", "Groupe C")
	base := ts.URL + "/api/workshops/" + w.Code
	key := w.FacilitatorKey

	// Group A has started; C has not.
	p := dial(t, ts)
	p.hello(w.Groups[0].Board, w.Code)
	p.submit(w.Groups[0].Board, 1, 0, textChange("enjeux", "Nécessité"))
	p.next("ack")

	st, body := doJSON(t, "PATCH", base, key, map[string]any{
		"title": "Coopération — Lyon", "dates": map[string]any{"start": "2026-12-01", "end": "2026-12-02"},
		"groups": []any{
			map[string]any{"id": w.Groups[0].ID, "name": "Groupe Alpha"},
			map[string]any{"id": w.Groups[1].ID, "name": "Groupe B"},
			map[string]any{"name": "Groupe D"},
		}})
	if st != 200 || body["title"] != "Coopération — Lyon" {
		t.Fatalf("patch: %d %v", st, body)
	}
	groups := body["groups"].([]any)
	if len(groups) != 3 || groups[0].(map[string]any)["name"] != "Groupe Alpha" || groups[2].(map[string]any)["name"] != "Groupe D" {
		t.Fatalf("groups: %v", groups)
	}
	newBoard := groups[2].(map[string]any)["board"].(string)
	if m := dial(t, ts).hello(newBoard, w.Code); m.Type != "welcome" {
		t.Fatalf("new group's board: %s", m.raw)
	}
	if m := dial(t, ts).hello(w.Groups[2].Board, w.Code); m.Type != "error" {
		t.Fatalf("removed group's board still opens: %s", m.raw)
	}
	// A group that has started cannot be removed.
	st, body = doJSON(t, "PATCH", base, key, map[string]any{"groups": []any{map[string]any{"id": w.Groups[1].ID, "name": "B"}}})
	if st != 409 || errCodeOf(body) != "in_use" {
		t.Fatalf("removing a started group: %d %v", st, body)
	}
	for _, bad := range []any{
		map[string]any{"dates": map[string]any{"start": "2026-13-01"}},
		map[string]any{"dates": map[string]any{"start": "2026-12-02", "end": "2026-12-01"}},
		map[string]any{"title": ""},
		map[string]any{"groups": []any{map[string]any{"id": "nope", "name": "x"}}},
	} {
		if st, body := doJSON(t, "PATCH", base, key, bad); st != 400 {
			t.Fatalf("bad patch %v: %d %v", bad, st, body)
		}
	}

	// Close: the connected participant is stopped at once; a new hello is
	// a viewer.
	st, body = doJSON(t, "POST", base+"/close", key, map[string]any{"closed": true})
	if st != 200 || body["closed"] != true {
		t.Fatalf("close: %d %v", st, body)
	}
	p.next("op") // meta closed
	p.submit(w.Groups[0].Board, 2, 2, textChange("enjeux", 9, "!"))
	if m := p.next("reject"); m.Code != "closed" {
		t.Fatalf("write after close: %s", m.raw)
	}
	if m := dial(t, ts).hello(w.Groups[0].Board, w.Code); m.Role != "viewer" {
		t.Fatalf("hello after close: %s", m.raw)
	}
	doJSON(t, "POST", base+"/close", key, map[string]any{"closed": false})
	if m := dial(t, ts).hello(w.Groups[0].Board, w.Code); m.Role != "participant" {
		t.Fatalf("hello after reopening: %s", m.raw)
	}

	// Delete: followers are disconnected, nothing opens any more.
	watcher := dial(t, ts)
	watcher.hello(w.Groups[1].Board, w.Code)
	req, _ := http.NewRequest("DELETE", base, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("delete: %v %v", err, res.StatusCode)
	}
	select {
	case <-watcher.done:
	case <-time.After(5 * time.Second):
		t.Fatal("follower not disconnected after delete")
	}
	if watcher.closeCode != 4004 {
		t.Fatalf("close code %d, want 4004", watcher.closeCode)
	}
	if st, _ := doJSON(t, "GET", base, "", nil); st != 404 {
		t.Fatalf("workshop after delete: %d", st)
	}
	if st, _ := getSnapshot(t, ts.URL, w.Groups[0].Board, key); st != 404 {
		t.Fatalf("board after delete: %d", st)
	}
}

func TestExports(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL, "Groupe Étoile", "Groupe B")
	b := w.Groups[0].Board
	c := dial(t, ts)
	c.hello(b, w.Code)
	c.submit(b, 1, 0,
		map[string]any{"kind": "meta", "props": map[string]any{"title": "Tiers-lieu de la vallée", "niveau": "faire_avec"}},
		textChange("etat_des_lieux", "# Un territoire rural\n- 3 communes"),
		textChange("financement", "Région, LEADER 🌱"),
		map[string]any{"kind": "create", "id": "a1", "elem": "actor", "props": map[string]any{"name": "Mairie", "kind": "collectivite", "ring": "coeur"}},
		map[string]any{"kind": "create", "id": "a2", "elem": "actor", "props": map[string]any{"name": "<Asso>", "kind": "association"}},
		map[string]any{"kind": "create", "id": "l1", "elem": "link", "props": map[string]any{"from": "a1", "to": "a2", "kind": "financement", "niveau": "faire_avec"}},
		map[string]any{"kind": "create", "id": "c1", "elem": "comment", "props": map[string]any{"text": "Associer la CAF ?", "kind": "piste", "author": "Léa", "section": "financement"}},
	)
	if m := c.next("ack", "reject"); m.Type != "ack" {
		t.Fatalf("submit: %s", m.raw)
	}
	get := func(url string) (int, http.Header, []byte) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, data
	}
	st, h, md := get(ts.URL + "/api/boards/" + b + "/export.md?key=" + w.Code)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/markdown") || !strings.Contains(h.Get("Content-Disposition"), "fiche-groupe-etoile.md") {
		t.Fatalf("md: %d %v", st, h)
	}
	for _, want := range []string{"# Tiers-lieu de la vallée", "## État des lieux du territoire", `\# Un territoire rural`, `\- 3 communes`,
		"Région, LEADER 🌱", "Faire avec — coopération de moyens", "### Cœur du projet", "**Mairie** (collectivité)",
		"Mairie → <Asso> : financement", "Piste d’amélioration", "Associer la CAF ?", "## Calendrier prévisionnel", "_(vide)_"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	_, _, en := get(ts.URL + "/api/boards/" + b + "/export.md?lang=en&key=" + w.Code)
	if !strings.Contains(string(en), "## Funding leads") && !strings.Contains(string(en), "Doing with") {
		t.Errorf("English export:\n%s", en)
	}
	st, _, js := get(ts.URL + "/api/boards/" + b + "/export.json?key=" + w.Code)
	var exp struct {
		Workshop string
		Group    string
		Board    struct {
			Sections map[string]struct{ Text string }
			Elements map[string]any
		}
	}
	if st != 200 || json.Unmarshal(js, &exp) != nil || exp.Group != "Groupe Étoile" || exp.Board.Sections["financement"].Text != "Région, LEADER 🌱" || len(exp.Board.Elements) != 4 {
		t.Fatalf("json export: %d %s", st, js)
	}
	if st, _, _ := get(ts.URL + "/api/boards/" + b + "/export.md?key=nope"); st != 403 {
		t.Fatalf("export with a wrong key: %d", st)
	}
	// The facilitator's archive holds every group's fiche.
	st, h, zipped := get(ts.URL + "/api/workshops/" + w.Code + "/archive.zip?key=" + w.FacilitatorKey)
	if st != 200 || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("archive: %d %v", st, h)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"01-groupe-etoile.md", "01-groupe-etoile.json", "02-groupe-b.md", "02-groupe-b.json", "atelier.json"} {
		if !names[want] {
			t.Errorf("archive lacks %s: %v", want, names)
		}
	}
}
