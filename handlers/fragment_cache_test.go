package handlers

import (
	"fmt"
	"html/template"
	"testing"
	"time"
)

func TestFragmentCacheBoundsAndExpiry(t *testing.T) {
	f := newFragmentCache(100, 50*time.Millisecond)
	for i := range 250 {
		f.put(fmt.Sprint(i), template.HTML(fmt.Sprint("<p>", i, "</p>")))
		if len(f.items) > 100 {
			t.Fatalf("%d entries after %d puts, max 100", len(f.items), i+1)
		}
	}
	if got, ok := f.get("249"); !ok || got != "<p>249</p>" {
		t.Fatalf("newest entry: %q, %v", got, ok)
	}
	time.Sleep(60 * time.Millisecond)
	if _, ok := f.get("249"); ok {
		t.Fatal("an expired entry was served")
	}
}

// Content keys differ whenever any part differs, including how the parts are split.
func TestContentKeyDistinguishesParts(t *testing.T) {
	keys := map[string]bool{}
	for _, parts := range [][]string{{"ab", "c"}, {"a", "bc"}, {"abc"}, {"abc", ""}, {"", "abc"}, {"en", "T-1"}, {"pt-BR", "T-1"}} {
		k := contentKey("rows", parts...)
		if keys[k] {
			t.Fatalf("key collision for %q", parts)
		}
		keys[k] = true
	}
	if contentKey("a", "x") == contentKey("b", "x") {
		t.Fatal("the template's name is not in the key")
	}
}
