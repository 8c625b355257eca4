package peercred

import (
	"net"
	"path/filepath"
	"testing"
)

// Both ends of a socket this process made are its own user's.
func TestOwnUserTrusted(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = Trusted(c)
			c.Close()
		}
		done <- err
	}()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := Trusted(c); err != nil {
		t.Errorf("client side: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("server side: %v", err)
	}
	if err := Trusted(&net.TCPConn{}); err == nil {
		t.Error("a TCP connection trusted")
	}
}
