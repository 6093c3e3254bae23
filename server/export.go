package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tablee/tablee/board"
	"github.com/tablee/tablee/hub"
)

// Exports: each group takes its fiche home (Markdown, JSON); the facilitator
// takes the whole workshop in one archive. The document's words are here,
// in both languages, because a downloaded file has no catalogue.

type exportWords struct {
	Workshop, Group, Exported, Niveau, Empty, Map, Relations, Comments, Piste, Comment, NoActor, Untitled string
	Rings, ActorKinds, LinkKinds, Niveaux, Sections                                                       map[string]string
}

var words = map[string]exportWords{
	"fr": {
		Workshop: "Atelier", Group: "Groupe", Exported: "Exporté le", Niveau: "Niveau de coopération",
		Empty: "(vide)", Map: "Carte des acteurs", Relations: "Relations", Comments: "Commentaires et pistes d’amélioration",
		Piste: "Piste d’amélioration", Comment: "Commentaire", NoActor: "Aucun acteur pour l’instant.", Untitled: "Fiche-projet",
		Rings:      map[string]string{"coeur": "Cœur du projet", "proche": "Partenaires proches", "territoire": "Territoire élargi"},
		ActorKinds: map[string]string{"collectivite": "collectivité", "association": "association", "entreprise": "entreprise", "financeur": "financeur", "institution": "institution", "habitants": "habitants / bénéficiaires", "reseau": "réseau", "autre": "autre"},
		LinkKinds:  map[string]string{"partenariat": "partenariat", "financement": "financement", "moyens": "échange de moyens", "prestation": "prestation", "tension": "tension / concurrence", "autre": "autre"},
		Niveaux:    map[string]string{"faire_ensemble": "Faire ensemble — coopération économique", "faire_avec": "Faire avec — coopération de moyens", "faire_corps": "Faire corps — coopération stratégique"},
		Sections:   map[string]string{"carte": "carte des acteurs", "": "la fiche"},
	},
	"en": {
		Workshop: "Workshop", Group: "Group", Exported: "Exported on", Niveau: "Level of cooperation",
		Empty: "(empty)", Map: "Map of actors", Relations: "Relations", Comments: "Comments and suggestions for improvement",
		Piste: "Suggestion", Comment: "Comment", NoActor: "No actor yet.", Untitled: "Project sheet",
		Rings:      map[string]string{"coeur": "Core of the project", "proche": "Close partners", "territoire": "Wider territory"},
		ActorKinds: map[string]string{"collectivite": "local authority", "association": "association", "entreprise": "company", "financeur": "funder", "institution": "institution", "habitants": "residents / beneficiaries", "reseau": "network", "autre": "other"},
		LinkKinds:  map[string]string{"partenariat": "partnership", "financement": "funding", "moyens": "sharing of means", "prestation": "service", "tension": "tension / competition", "autre": "other"},
		Niveaux:    map[string]string{"faire_ensemble": "Doing together — economic cooperation", "faire_avec": "Doing with — cooperation of means", "faire_corps": "Becoming one — strategic cooperation"},
		Sections:   map[string]string{"carte": "map of actors", "": "the sheet"},
	},
}

func exportLang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "fr"
}

// sectionTitle gives a section's title in lang.
func sectionTitle(key, lang string) string {
	for _, s := range board.Sections {
		if s.Key == key {
			if lang == "en" {
				return s.TitleEN
			}
			return s.TitleFR
		}
	}
	if t, ok := words[lang].Sections[key]; ok {
		return t
	}
	return key
}

// mdText keeps user text from being read as Markdown structure: a line that
// starts like a heading, a list or a quote is escaped; the rest is as typed.
func mdText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if t != "" && strings.ContainsRune("#>-*+|=`", rune(t[0])) {
			lines[i] = strings.Repeat(" ", len(l)-len(t)) + `\` + t
		}
	}
	return strings.Join(lines, "\n")
}

// mdInline puts user text on one line (names, labels).
func mdInline(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// boardMarkdown writes a group's fiche as Markdown.
func boardMarkdown(ws *Workshop, g *Group, snap board.Snapshot, lang string, now time.Time) string {
	wd := words[lang]
	var b strings.Builder
	title := mdInline(snap.Meta.Title)
	if title == "" {
		title = wd.Untitled + " — " + mdInline(g.Name)
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "*%s : %s — %s : %s*  \n*%s %s*\n\n", wd.Workshop, mdInline(ws.Title), wd.Group, mdInline(g.Name), wd.Exported, now.Format("2006-01-02 15:04"))
	if snap.Meta.Has(board.PropNiveau) {
		fmt.Fprintf(&b, "**%s :** %s\n\n", wd.Niveau, wd.Niveaux[snap.Meta.Niveau])
	}
	for i, s := range board.Sections {
		fmt.Fprintf(&b, "## %s\n\n", sectionTitle(s.Key, lang))
		if t := strings.TrimSpace(snap.Texts[i]); t != "" {
			b.WriteString(mdText(t))
			b.WriteString("\n\n")
		} else {
			fmt.Fprintf(&b, "_%s_\n\n", wd.Empty)
		}
	}
	var actors, links, comments []board.SnapshotElement
	names := map[string]string{}
	for _, e := range snap.Elements {
		switch e.Elem {
		case board.ElemActor:
			actors = append(actors, e)
			names[e.ID] = mdInline(e.Props.Name)
		case board.ElemLink:
			links = append(links, e)
		case board.ElemComment:
			comments = append(comments, e)
		}
	}
	fmt.Fprintf(&b, "## %s\n\n", wd.Map)
	if len(actors) == 0 {
		fmt.Fprintf(&b, "_%s_\n\n", wd.NoActor)
	}
	for _, ring := range board.Rings {
		var in []board.SnapshotElement
		for _, a := range actors {
			if a.Props.Ring == ring {
				in = append(in, a)
			}
		}
		if len(in) == 0 {
			continue
		}
		sort.Slice(in, func(i, j int) bool { return in[i].Props.Name < in[j].Props.Name })
		fmt.Fprintf(&b, "### %s\n\n", wd.Rings[ring])
		for _, a := range in {
			fmt.Fprintf(&b, "- **%s** (%s)", mdInline(a.Props.Name), wd.ActorKinds[a.Props.Kind])
			if n := mdInline(a.Props.Note); n != "" {
				fmt.Fprintf(&b, " — %s", n)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if len(links) > 0 {
		fmt.Fprintf(&b, "### %s\n\n", wd.Relations)
		for _, l := range links {
			fmt.Fprintf(&b, "- %s → %s : %s", names[l.Props.From], names[l.Props.To], wd.LinkKinds[l.Props.Kind])
			if l.Props.Has(board.PropNiveau) {
				fmt.Fprintf(&b, ", %s", wd.Niveaux[l.Props.Niveau])
			}
			if lb := mdInline(l.Props.Label); lb != "" {
				fmt.Fprintf(&b, " — « %s »", lb)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if len(comments) > 0 {
		fmt.Fprintf(&b, "## %s\n\n", wd.Comments)
		for _, c := range comments {
			kind := wd.Comment
			if c.Props.Kind == "piste" {
				kind = wd.Piste
			}
			fmt.Fprintf(&b, "- **%s** (%s", kind, sectionTitle(c.Props.Section, lang))
			if a := mdInline(c.Props.Author); a != "" {
				fmt.Fprintf(&b, ", %s", a)
			}
			fmt.Fprintf(&b, ") : %s\n", mdInline(c.Props.Text))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// boardExport is the JSON export: the snapshot with the words around it.
type boardExport struct {
	Workshop string            `json:"workshop"`
	Group    string            `json:"group"`
	Exported time.Time         `json:"exported"`
	Sections map[string]string `json:"sectionTitles"`
	Board    json.RawMessage   `json:"board"`
}

func boardJSON(ws *Workshop, g *Group, snap board.Snapshot, lang string, now time.Time) ([]byte, error) {
	titles := map[string]string{}
	for _, s := range board.Sections {
		titles[s.Key] = sectionTitle(s.Key, lang)
	}
	return json.MarshalIndent(boardExport{
		Workshop: ws.Title, Group: g.Name, Exported: now.UTC(), Sections: titles,
		Board: json.RawMessage(snap.AppendJSON(nil)),
	}, "", "  ")
}

// slug makes a file name from a group's name.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune("àâä", r):
			b.WriteByte('a')
		case strings.ContainsRune("éèêë", r):
			b.WriteByte('e')
		case strings.ContainsRune("îï", r):
			b.WriteByte('i')
		case strings.ContainsRune("ôö", r):
			b.WriteByte('o')
		case strings.ContainsRune("ùûü", r):
			b.WriteByte('u')
		case r == 'ç':
			b.WriteByte('c')
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		out = "groupe"
	}
	if len(out) > 60 {
		out = out[:60]
	}
	return out
}

// exportBoard: GET /api/boards/{board}/export.md or export.json, with
// ?key=… (or the Authorization header) and lang=fr|en.
func (s *Server) exportBoard(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.writeExport(w, r, format) }
}

func (s *Server) writeExport(w http.ResponseWriter, r *http.Request, format string) {
	id := r.PathValue("board")
	ctx := context.WithValue(r.Context(), ipKey{}, clientIP(r))
	if _, err := s.Authorize(ctx, id, requestKey(r)); err != nil {
		s.writeAuthError(w, err)
		return
	}
	ws, err := s.dir.ByBoard(r.Context(), id)
	if err != nil {
		writeError(w, http.StatusNotFound, hub.CodeNotFound, "no such board")
		return
	}
	g := ws.group(id)
	if g == nil {
		writeError(w, http.StatusNotFound, hub.CodeNotFound, "the control board has no fiche to export")
		return
	}
	snap, err := s.hub.Snapshot(r.Context(), id)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the board cannot be read now; retry")
		return
	}
	lang, now := exportLang(r), time.Now()
	name := "fiche-" + slug(g.Name)
	w.Header().Set("Cache-Control", "no-store")
	if format == "md" {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.md"`)
		w.Write([]byte(boardMarkdown(ws, g, snap, lang, now)))
		return
	}
	data, err := boardJSON(ws, g, snap, lang, now)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the export could not be written")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
	w.Write(data)
}

// exportWorkshop: GET /api/workshops/{code}/archive.zip — every group's
// fiche, map and comments, as Markdown and JSON, for the facilitator.
func (s *Server) exportWorkshop(w http.ResponseWriter, r *http.Request) {
	ws := s.facilitatorWorkshop(w, r)
	if ws == nil {
		return
	}
	lang, now := exportLang(r), time.Now()
	// Read everything before the first byte goes out, so that a failure is
	// still a clean error.
	type file struct {
		name string
		data []byte
	}
	var files []file
	used := map[string]int{}
	for i := range ws.Groups {
		g := &ws.Groups[i]
		snap, err := s.hub.Snapshot(r.Context(), g.Board)
		if errors.Is(err, hub.ErrNoBoard) {
			continue
		}
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "a board cannot be read now; retry")
			return
		}
		base := slug(g.Name)
		if used[base]++; used[base] > 1 {
			base = fmt.Sprintf("%s-%d", base, used[base])
		}
		js, err := boardJSON(ws, g, snap, lang, now)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", "the export could not be written")
			return
		}
		files = append(files,
			file{fmt.Sprintf("%02d-%s.md", i+1, base), []byte(boardMarkdown(ws, g, snap, lang, now))},
			file{fmt.Sprintf("%02d-%s.json", i+1, base), js})
	}
	info, _ := json.MarshalIndent(publicWorkshop(ws), "", "  ")
	files = append(files, file{"atelier.json", info})
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="atelier-`+slug(ws.Title)+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return
		}
		fw.Write(f.data)
	}
	zw.Close()
}

// writeAuthError answers a refused Authorize.
func (s *Server) writeAuthError(w http.ResponseWriter, err error) {
	var be *board.Error
	if errors.As(err, &be) {
		status := http.StatusForbidden
		switch be.Code {
		case hub.CodeNotFound:
			status = http.StatusNotFound
		case hub.CodeRateLimited:
			status = http.StatusTooManyRequests
		case hub.CodeUnavailable:
			status = http.StatusServiceUnavailable
		}
		writeError(w, status, be.Code, be.Message)
		return
	}
	writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the service cannot answer now; retry")
}
