package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"text/template/parse"

	"github.com/gofiber/template/html/v2"

	"portico/app/i18n"
	"portico/views"
)

// Templates per language. Most of a page's texts are `{{.T "id"}}` with no data: the same
// words on every request in a language, yet each costs html/template a reflective method call,
// a catalogue lookup and an escaper call. Profiles of the portal's list pages put template
// execution at a third of the CPU, most of it in such calls. So each shipped language gets its
// own copy of the templates in which those actions are replaced, once at start, by their text
// already escaped exactly as html/template would have escaped it in that place. Only actions
// in HTML text, in a quoted attribute value or in RCDATA (<title>, <textarea>) are replaced;
// anywhere else (scripts, styles) they stay calls. Actions with data ("Name", .Name) stay calls
// too. `{{asset "path"}}` (a static file's fingerprinted URL, fixed for the life of the process)
// is baked the same way in URL attributes.

// langViews renders with the engine of the view model's language, which implements fiber.Views.
type langViews struct {
	byLang map[string]*html.Engine
	funcs  template.FuncMap
	baked  map[string]int // per language, how many actions were replaced by their text

	dynamicOnce sync.Once
	dynamic     *html.Engine // for a view model without a shipped language; built when needed
	dynamicErr  error
}

// pageLanguage is implemented by Base, so by every view model that embeds it.
type pageLanguage interface{ pageLang() string }

// pageLang is the language whose texts may be baked into the templates for this page: none
// without a translator (a Base built by hand answers message IDs, not texts).
func (b Base) pageLang() string {
	if b.tr == nil {
		return ""
	}
	return b.Lang
}

// newViews loads the templates once per shipped language and bakes each one's fixed texts in.
// A template error stops the server at start rather than failing a request later. With the
// shipped catalogue (an *i18n.Translator: every one holds the same embedded messages) the
// engines are built once per process and shared, as the static files are embedded too; each
// Handler still gets its own langViews.
func newViews(a *assetTable, tr translator) (*langViews, error) {
	if _, shipped := tr.(*i18n.Translator); !shipped {
		return buildViews(a, tr)
	}
	shared.once.Do(func() { shared.views, shared.err = buildViews(a, tr) })
	if shared.err != nil {
		return nil, shared.err
	}
	sv := shared.views
	return &langViews{byLang: maps.Clone(sv.byLang), funcs: sv.funcs, baked: sv.baked}, nil
}

// shared holds the engines built for the shipped catalogue and embedded files.
var shared struct {
	once  sync.Once
	views *langViews
	err   error
}

func buildViews(a *assetTable, tr translator) (*langViews, error) {
	v := &langViews{byLang: map[string]*html.Engine{}, funcs: templateFuncs(a), baked: map[string]int{}}
	for _, l := range i18n.Supported {
		e, err := loadEngine(v.funcs)
		if err != nil {
			return nil, err
		}
		n, err := bakeTexts(e, constants{lang: l.Tag, tr: tr, asset: a.url})
		if err != nil {
			return nil, err
		}
		v.byLang[l.Tag], v.baked[l.Tag] = e, n
	}
	return v, nil
}

func loadEngine(funcs template.FuncMap) (*html.Engine, error) {
	e := html.NewFileSystem(http.FS(views.FS), ".html")
	e.AddFuncMap(funcs)
	if err := e.Load(); err != nil {
		return nil, err
	}
	return e, nil
}

// Load is part of fiber.Views; the templates were loaded by newViews.
func (v *langViews) Load() error { return nil }

// Render writes template name with binding, in the binding's language.
func (v *langViews) Render(w io.Writer, name string, binding any, layout ...string) error {
	e, err := v.engineFor(binding)
	if err != nil {
		return err
	}
	return e.Render(w, name, binding, layout...)
}

func (v *langViews) engineFor(binding any) (*html.Engine, error) {
	if p, ok := binding.(pageLanguage); ok {
		if e := v.byLang[p.pageLang()]; e != nil {
			return e, nil
		}
	}
	v.dynamicOnce.Do(func() { v.dynamic, v.dynamicErr = loadEngine(v.funcs) })
	return v.dynamic, v.dynamicErr
}

// contexts maps the escapers html/template puts after an action, joined by spaces, to a
// template that applies the same ones to a string, and the markup around it to cut away: an
// action followed by any other chain is not baked.
var contexts = map[string]struct {
	t             *template.Template
	before, after string
}{
	"_html_template_htmlescaper":   {template.Must(template.New("").Parse(`{{.}}`)), "", ""},
	"_html_template_attrescaper":   {template.Must(template.New("").Parse(`<a title="{{.}}">`)), `<a title="`, `">`},
	"_html_template_rcdataescaper": {template.Must(template.New("").Parse(`<title>{{.}}</title>`)), `<title>`, `</title>`},
	"_html_template_urlfilter _html_template_urlnormalizer _html_template_attrescaper": {
		template.Must(template.New("").Parse(`<a href="{{.}}">`)), `<a href="`, `">`},
}

// escapeAs escapes s as the escaper chain does, by running it on s in a context that uses it
// and cutting the context's markup away.
func escapeAs(chain, s string) (string, error) {
	c := contexts[chain]
	var b strings.Builder
	if err := c.t.Execute(&b, s); err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimPrefix(b.String(), c.before), c.after), nil
}

// constants is what the baked actions stand for in one language.
type constants struct {
	lang  string
	tr    translator
	asset func(string) string
}

// bakeTexts has html/template escape every template of e (which it does on first execution),
// then replaces each `{{.T "id"}}`, `{{$.T "id"}}` or `{{asset "path"}}` action it escaped in
// one of the contexts above by its value, escaped the same way.
func bakeTexts(e *html.Engine, k constants) (int, error) {
	for _, t := range e.Templates.Templates() {
		if err := escapeNow(t); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, t := range e.Templates.Templates() {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		if err := bakeList(t.Tree.Root, k, &n); err != nil {
			return 0, fmt.Errorf("views: %s: %w", t.Name(), err)
		}
	}
	return n, nil
}

// escapeNow makes html/template escape t and the templates it calls. Escaping happens before
// anything is evaluated; with no data, evaluation then stops at the first field. An escaping
// error (a template html/template refuses) is returned; evaluation errors are expected.
func escapeNow(t *template.Template) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = nil // evaluation of a nil binding panicked past html/template: escaping is done
		}
	}()
	err = t.Execute(io.Discard, nil)
	if _, escaping := errors.AsType[*template.Error](err); escaping {
		return err
	}
	return nil
}

func bakeList(l *parse.ListNode, k constants, n *int) error {
	if l == nil {
		return nil
	}
	for i, node := range l.Nodes {
		switch a := node.(type) {
		case *parse.ActionNode:
			text, ok, err := bakedText(a, k)
			if err != nil {
				return err
			}
			if ok {
				l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: a.Pos, Text: []byte(text)}
				*n++
			}
		case *parse.IfNode:
			if err := bakeBranch(&a.BranchNode, k, n); err != nil {
				return err
			}
		case *parse.RangeNode:
			if err := bakeBranch(&a.BranchNode, k, n); err != nil {
				return err
			}
		case *parse.WithNode:
			if err := bakeBranch(&a.BranchNode, k, n); err != nil {
				return err
			}
		case *parse.ListNode:
			if err := bakeList(a, k, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func bakeBranch(b *parse.BranchNode, k constants, n *int) error {
	if err := bakeList(b.List, k, n); err != nil {
		return err
	}
	return bakeList(b.ElseList, k, n)
}

// bakedText is the escaped value of an action `{{.T "id"}}`, `{{$.T "id"}}` or
// `{{asset "path"}}` followed by one of the escaper chains above; ok is false for any other.
func bakedText(a *parse.ActionNode, k constants) (string, bool, error) {
	p := a.Pipe
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) < 2 || len(p.Cmds[0].Args) != 2 {
		return "", false, nil
	}
	arg, ok := p.Cmds[0].Args[1].(*parse.StringNode)
	if !ok {
		return "", false, nil
	}
	var value string
	switch f := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode: // .T
		if len(f.Ident) != 1 || f.Ident[0] != "T" {
			return "", false, nil
		}
		value = k.tr.T(k.lang, arg.Text)
	case *parse.VariableNode: // $.T
		if len(f.Ident) != 2 || f.Ident[0] != "$" || f.Ident[1] != "T" {
			return "", false, nil
		}
		value = k.tr.T(k.lang, arg.Text)
	case *parse.IdentifierNode: // asset
		if f.Ident != "asset" {
			return "", false, nil
		}
		value = k.asset(arg.Text)
	default:
		return "", false, nil
	}
	var chain []string
	for _, c := range p.Cmds[1:] {
		if len(c.Args) != 1 {
			return "", false, nil
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok {
			return "", false, nil
		}
		chain = append(chain, id.Ident)
	}
	key := strings.Join(chain, " ")
	if _, known := contexts[key]; !known {
		return "", false, nil
	}
	text, err := escapeAs(key, value)
	return text, err == nil, err
}
