package flexemp

import (
	"strings"
	"testing"
)

// The embedded table holds the 100 county-level divisions, each under one
// of the 14 cities, every city with at least one.
func TestEmbeddedCounties(t *testing.T) {
	if len(Counties) != 100 {
		t.Errorf("%d counties, want 100", len(Counties))
	}
	for _, c := range Cities {
		if len(CountiesOf(Counties, c.Code)) == 0 {
			t.Errorf("%s has no county", c.Name)
		}
	}
	if got := CountiesOf(Counties, "210100"); got[0].Code != "210102" || got[0].Name != "和平区" {
		t.Errorf("沈阳's first county: %+v", got[0])
	}
}

// A broken county table is refused with the line and the reason.
func TestParseCountiesRefuses(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"code,city_code,name\n210102,210100,和平区\n210102,210100,和平区\n", "line 3: code 210102 already on line 2"},
		{"code,city_code,name\n110101,110100,东城区\n", "line 2: city \"110100\" is not a Liaoning city code"},
		{"code,city_code,name\n21010,210100,和平区\n", "line 2: code \"21010\" is not six digits"},
		{"code,city_code,name,population\n210102,210100,和平区,many\n", "line 2: population \"many\""},
	} {
		if _, err := ParseCounties(strings.NewReader(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.body, err, tc.want)
		}
	}
	cs, err := ParseCounties(strings.NewReader("code,city_code,name,population\n210102,210100,和平区,645541\n210103,210100,沈河区,\n"))
	if err != nil || cs[0].Population != 645541 || cs[1].Population != 0 {
		t.Errorf("populations: %+v %v", cs, err)
	}
}
