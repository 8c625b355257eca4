package sqltext

import "testing"

func TestQuoting(t *testing.T) {
	for _, c := range []struct{ in, ident, str string }{
		{`plain`, `"plain"`, `'plain'`},
		{`it's "x"`, `"it's ""x"""`, `'it''s "x"'`},
	} {
		if got := Ident(c.in); got != c.ident {
			t.Errorf("Ident(%q) = %s, want %s", c.in, got, c.ident)
		}
		if got := String(c.in); got != c.str {
			t.Errorf("String(%q) = %s, want %s", c.in, got, c.str)
		}
	}
}
