// Package smtptest is a real SMTP server for tests, keeping what it accepts,
// and a parser that takes the accepted messages apart.
package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Mailbox is a running SMTP server on loopback.
type Mailbox struct {
	mu       sync.Mutex
	received []*Received
	refuse   map[string]bool // recipients answered 550
	onData   func(n int)
	Port     int
}

// Received is one accepted message.
type Received struct {
	From string
	To   []string
	Raw  []byte
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Mailbox {
	t.Helper()
	mb := &Mailbox{refuse: map[string]bool{}}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{mb: mb}, nil }))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ErrorLog = log.New(io.Discard, "", 0) // a sender killed mid-message is a test's point, not news
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.Port = ln.Addr().(*net.TCPAddr).Port
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return mb
}

// Messages are the accepted messages so far.
func (mb *Mailbox) Messages() []*Received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]*Received(nil), mb.received...)
}

// Refuse makes the server answer 550 to a recipient, or stop doing so.
func (mb *Mailbox) Refuse(addr string, refused bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.refuse[addr] = refused
}

// OnData makes the server call f with a message's number (1 for the first
// accepted since Start) once it has kept the message, before it answers
// the client: a test can kill the sender there, between the server's
// acceptance and the sender's knowing of it.
func (mb *Mailbox) OnData(f func(n int)) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.onData = f
}

type smtpSession struct {
	mb  *Mailbox
	msg Received
}

func (s *smtpSession) Reset()        { s.msg = Received{} }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.msg.From = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if s.mb.refuse[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Raw = b
	s.mb.mu.Lock()
	msg := s.msg
	s.mb.received = append(s.mb.received, &msg)
	n, f := len(s.mb.received), s.mb.onData
	s.mb.mu.Unlock()
	if f != nil {
		f(n)
	}
	return nil
}

// Parsed is a received message taken apart.
type Parsed struct {
	Subject, MessageID, To string
	Text, HTML             string
	Inline                 map[string][]byte // by Content-ID
	Attachments            map[string][]byte // by decoded file name
}

var words = new(mime.WordDecoder)

// Parse takes a message apart.
func Parse(t testing.TB, raw []byte) *Parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := &Parsed{Inline: map[string][]byte{}, Attachments: map[string][]byte{}}
	if p.Subject, err = words.DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	p.MessageID, p.To = m.Header.Get("Message-ID"), m.Header.Get("To")
	walk(t, p, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Header.Get("Content-Disposition"), m.Header.Get("Content-ID"), m.Body)
	return p
}

func walk(t testing.TB, p *Parsed, ctype, encoding, disposition, cid string, body io.Reader) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("content type %q: %v", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walk(t, p, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part.Header.Get("Content-ID"), part)
		}
	}
	data := decode(t, encoding, body)
	_, dparams, _ := mime.ParseMediaType(disposition)
	name := dparams["filename"]
	if decoded, err := words.DecodeHeader(name); err == nil {
		name = decoded
	}
	switch {
	case strings.HasPrefix(disposition, "attachment"):
		p.Attachments[name] = data
	case cid != "":
		// RFC 2392: a Content-ID is a msg-id, in angle brackets; mail
		// clients do not match cid: links to a bare one.
		if !strings.HasPrefix(cid, "<") || !strings.HasSuffix(cid, ">") {
			t.Errorf("Content-ID %q without angle brackets", cid)
		}
		p.Inline[strings.Trim(cid, "<>")] = data
	case mt == "text/plain":
		p.Text = string(data)
	case mt == "text/html":
		p.HTML = string(data)
	}
}

func decode(t testing.TB, encoding string, r io.Reader) []byte {
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	switch strings.ToLower(encoding) {
	case "base64":
		out, err := io.ReadAll(base64Reader(b))
		if err != nil {
			t.Fatal(err)
		}
		return out
	case "quoted-printable":
		out, err := io.ReadAll(qpReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return b
}

func base64Reader(b []byte) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b))
}

func qpReader(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }
