// Package testclock is the injected clock of the tests that walk through
// time, read in Asia/Shanghai.
package testclock

import (
	"sync"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// Clock is a settable clock, safe for the goroutines that read it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New is a clock set to t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Shanghai reads "2006-01-02 15:04" as a wall time in Asia/Shanghai.
func Shanghai(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, flexemp.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}
