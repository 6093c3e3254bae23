package board

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestSnapshotJSON(t *testing.T) {
	b := bdTestBoard(t)
	b.V = 12
	got, err := json.Marshal(b.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"board":"b1","workshop":"w1","group":"g1","v":12,"epoch":"ep1",` +
		`"sections":{"etat_des_lieux":{"text":"Quartier 🌱 nord"},"enjeux":{"text":"Créer du lien"},"niveau":{"text":""},` +
		`"ecosysteme":{"text":""},"animation":{"text":""},"financement":{"text":""},"calendrier":{"text":""}},` +
		`"meta":{"title":"Tiers-lieu"},` +
		`"elements":{"a1":{"elem":"actor","props":{"name":"Mairie","kind":"collectivite","ring":"coeur","x":10,"y":-5}},` +
		`"a2":{"elem":"actor","props":{"name":"Asso 🌻","kind":"autre","ring":"proche"}},` +
		`"a3":{"elem":"actor","props":{"name":"Café","kind":"autre","ring":"proche"}},` +
		`"l1":{"elem":"link","props":{"from":"a1","to":"a2","kind":"financement"}}}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}

	// The shape a client reads.
	var s struct {
		Board, Workshop, Group, Epoch string
		V                             uint64
		Sections                      map[string]struct{ Text string }
		Meta                          map[string]any
		Elements                      map[string]struct {
			Elem  string
			Props map[string]any
		}
	}
	if err := json.Unmarshal(got, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Sections) != NumSections || len(s.Elements) != 4 || s.Elements["l1"].Props["to"] != "a2" {
		t.Fatalf("%+v", s)
	}

	empty, _ := json.Marshal(New("b", "w", "g", "e").Snapshot())
	if want := `{"board":"b","workshop":"w","group":"g","v":0,"epoch":"e","sections":{"etat_des_lieux":{"text":""},"enjeux":{"text":""},"niveau":{"text":""},"ecosysteme":{"text":""},"animation":{"text":""},"financement":{"text":""},"calendrier":{"text":""}},"meta":{},"elements":{}}`; string(empty) != want {
		t.Fatalf("empty board: %s", empty)
	}
}

func TestSnapshotEscapes(t *testing.T) {
	b := New("b", "w", "g", "e")
	text := "\"quote\" \\ \n\t\r \x01 \u2028\u2029 <&> 🌱 é"
	bdMustApplyChanges(t, b, []Change{{Kind: KindText, Section: "enjeux", Op: TextOp{{Insert: text}}}}, RoleParticipant)
	data, _ := json.Marshal(b.Snapshot())
	var s struct {
		Sections map[string]struct{ Text string }
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Sections["enjeux"].Text != text {
		t.Fatalf("%q", s.Sections["enjeux"].Text)
	}
}

func TestStateRoundTrip(t *testing.T) {
	b := bdTestBoard(t)
	bdMustApply(t, b, `[{"kind":"meta","props":{"locked":true,"done":false,"niveau":"faire_corps"}},
		{"kind":"set","id":"a2","props":{"x":0.1,"y":-99999.75,"note":"a\nb"}},
		{"kind":"create","id":"l2","elem":"link","props":{"from":"a3","to":"a2","niveau":"faire_avec","label":"«prêt»"}}]`, RoleFacilitator)
	if err := b.ApplyEntry(Entry{V: 1, Client: "c1", Seq: 4, Changes: nil}, RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	if err := b.ApplyEntry(Entry{V: 2, Client: "c2", Seq: 1, Changes: nil}, RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	data, err := b.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	c, err := UnmarshalState(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b, c) {
		t.Fatalf("reloaded board differs:\n%+v\n%+v", b, c)
	}
	again, _ := c.MarshalState()
	if string(again) != string(data) {
		t.Fatalf("state not stable:\n%s\n%s", data, again)
	}
	for _, want := range []string{`"deleted":{"d1":"actor","dl1":"link","dl2":"link"}`, `"clients":{"c1":{"seq":4,"v":1},"c2":{"seq":1,"v":2}}`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("state lacks %s:\n%s", want, data)
		}
	}
	// The reloaded board behaves the same: tombstones still refuse.
	if got := bdCode(t, c.Apply(bdDecode(t, `[{"kind":"create","id":"d1","elem":"actor","props":{"name":"x"}}]`), RoleFacilitator)); got != CodeExists {
		t.Fatalf("create over a reloaded tombstone: %q", got)
	}
	if err := c.Apply(bdDecode(t, `[{"kind":"delete","id":"a2"}]`), RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	bdDead(t, c, "l1", ElemLink)
	bdDead(t, c, "l2", ElemLink)
}

// A protocol snapshot loads as a board too (with no tombstones).
func TestUnmarshalStateReadsSnapshot(t *testing.T) {
	b := bdTestBoard(t)
	data, _ := json.Marshal(b.Snapshot())
	c, err := UnmarshalState(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Texts != b.Texts || !reflect.DeepEqual(c.Elements, b.Elements) || c.Meta != b.Meta || len(c.Deleted) != 0 {
		t.Fatal("snapshot loads differently")
	}
}

func TestUnmarshalStateRefusesBadState(t *testing.T) {
	good, _ := bdTestBoard(t).MarshalState()
	for _, tc := range []struct{ name, old, new string }{
		{"not json", `{"board"`, `{"board"[`},
		{"unknown section", `"niveau":{`, `"budget":{`},
		{"bad meta", `"meta":{"title":"Tiers-lieu"}`, `"meta":{"title":1}`},
		{"bad elem", `"elem":"actor","props":{"name":"Café"`, `"elem":"postit","props":{"name":"Café"`},
		{"bad props", `"name":"Café"`, `"name":""`},
		{"actor without name", `"name":"Café",`, ``},
		{"link to nothing", `"to":"a2"`, `"to":"zz"`},
		{"link to itself", `"to":"a2"`, `"to":"a1"`},
		{"link to deleted", `"to":"a2"`, `"to":"d1"`},
		{"live and deleted", `"dl2":"link"`, `"a3":"link"`},
		{"bad tombstone", `"dl2":"link"`, `"dl2":"postit"`},
		{"newer format", `"format":1`, `"format":2`},
	} {
		data := strings.Replace(string(good), tc.old, tc.new, 1)
		if data == string(good) {
			t.Fatalf("%s: %q not in the state", tc.name, tc.old)
		}
		if _, err := UnmarshalState([]byte(data)); err == nil {
			t.Errorf("%s: loaded", tc.name)
		} else if got := bdCode(t, err); got != CodeBadState {
			t.Errorf("%s: code %q", tc.name, got)
		}
	}
	long := strings.Replace(string(good), `"niveau":{"text":""}`, `"niveau":{"text":"`+strings.Repeat("a", MaxSectionLen+1)+`"}`, 1)
	if _, err := UnmarshalState([]byte(long)); err == nil {
		t.Error("loaded a text over the limit")
	}
}

// bdBigBoard is a board of realistic size: full sections, 60 actors, 80 links.
func bdBigBoard(t testing.TB) *Board {
	b := New("board-1", "workshop-1", "group-1", "epoch-1")
	var cs []Change
	for i := range Sections {
		cs = append(cs, Change{Kind: KindText, Section: Sections[i].Key, Op: TextOp{{Insert: strings.Repeat("Le tiers-lieu réunit habitants et associations 🌱. ", 20)}}})
	}
	for i := 0; i < 60; i++ {
		cs = append(cs, Change{Kind: KindCreate, ID: fmt.Sprintf("actor-%02d-0b8f6c1e-4d7a-4c1b", i), Elem: ElemActor,
			Props: Props{Set: PropName | PropX | PropY | PropNote, Name: fmt.Sprintf("Acteur %d", i), X: float64(i * 37), Y: -float64(i) * 12.5, Note: "Contact : mairie"}})
	}
	for i := 0; i < 80; i++ {
		cs = append(cs, Change{Kind: KindCreate, ID: fmt.Sprintf("link-%02d-0b8f6c1e-4d7a-4c1b", i), Elem: ElemLink,
			Props: Props{Set: PropFrom | PropTo | PropLabel, From: fmt.Sprintf("actor-%02d-0b8f6c1e-4d7a-4c1b", i%60), To: fmt.Sprintf("actor-%02d-0b8f6c1e-4d7a-4c1b", (i*7+1)%60), Label: "subvention"}})
	}
	if err := b.Apply(cs, RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkSnapshotJSON(b *testing.B) {
	bd := bdBigBoard(b)
	data, _ := bd.Snapshot().MarshalJSON()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.Snapshot().MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalState(b *testing.B) {
	bd := bdBigBoard(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.MarshalState(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalState(b *testing.B) {
	data, _ := bdBigBoard(b).MarshalState()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalState(data); err != nil {
			b.Fatal(err)
		}
	}
}
