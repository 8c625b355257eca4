// Package xmlscan is a minimal streaming XML tokenizer for spreadsheet
// parts, which ingest reads workbooks with: encoding/xml measured seven
// times too slow for a province's files (BENCHMARKS.md).
package xmlscan

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// MaxToken is the longest tag or text the scanner reads: no cell of a
// data extract comes near it.
const MaxToken = 1 << 20

// ErrTooLong is returned for a tag or text longer than MaxToken.
var ErrTooLong = errors.New("xml token over 1 MiB")

// Scanner is a minimal streaming XML tokenizer for spreadsheet parts:
// start, end and empty tags with their raw attributes, and text. It
// allocates nothing per Token; a Token's bytes are valid until the next call.
type Scanner struct {
	br  *bufio.Reader
	buf []byte // a tag or text that spans buffer refills
}

// Kind is what a token is.
type Kind int

// Kinds of token.
const (
	Start Kind = iota
	End
	Empty
	Text
)

// Token is one tag or text; its bytes are valid until the next call.
type Token struct {
	Kind  Kind
	Name  []byte // local name, prefix dropped
	Attrs []byte // raw attributes
	Text  []byte // raw text, references unresolved
	CDATA bool   // text from a CDATA section: taken as is
}

// Is tells whether the token has the local name.
func (t Token) Is(name string) bool { return string(t.Name) == name }

// Attr returns the raw value of an attribute by local name.
func (t Token) Attr(name string) ([]byte, bool) {
	// Fast path: ` name="value"`, as every producer writes r and t.
	if i := bytes.Index(t.Attrs, attrPattern(name)); i >= 0 {
		v := t.Attrs[i+len(name)+3:]
		if end := bytes.IndexByte(v, '"'); end >= 0 {
			return v[:end], true
		}
	}
	a := t.Attrs
	for len(a) > 0 {
		a = bytes.TrimLeft(a, " \t\r\n")
		eq := bytes.IndexByte(a, '=')
		if eq < 0 || eq+1 >= len(a) {
			return nil, false
		}
		key := bytes.TrimSpace(a[:eq])
		if i := bytes.IndexByte(key, ':'); i >= 0 {
			key = key[i+1:]
		}
		rest := bytes.TrimLeft(a[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return nil, false
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return nil, false
		}
		if string(key) == name {
			return rest[1 : 1+end], true
		}
		a = rest[end+2:]
	}
	return nil, false
}

var attrR, attrT = []byte(` r="`), []byte(` t="`)

func attrPattern(name string) []byte {
	switch name {
	case "r":
		return attrR
	case "t":
		return attrT
	}
	return []byte(" " + name + `="`)
}

// New scans r.
func New(r io.Reader) *Scanner {
	return &Scanner{br: bufio.NewReaderSize(r, 256<<10)}
}

// Buffered returns the unread bytes the scanner holds, without reading
// more: a caller that finds a whole element in them may take it by Skip
// instead of token by token. They are valid until the next call.
func (s *Scanner) Buffered() []byte {
	b, _ := s.br.Peek(s.br.Buffered())
	return b
}

// Skip drops the first n bytes Buffered returned.
func (s *Scanner) Skip(n int) {
	s.br.Discard(n)
}

// readUntil reads through delim, returning the bytes before it.
func (s *Scanner) readUntil(delim byte) ([]byte, error) {
	b, err := s.br.ReadSlice(delim)
	if err == nil {
		return b[:len(b)-1], nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if err == io.EOF && len(b) > 0 {
			return b, io.ErrUnexpectedEOF
		}
		return b, err
	}
	s.buf = append(s.buf[:0], b...)
	for {
		b, err = s.br.ReadSlice(delim)
		s.buf = append(s.buf, b...)
		if len(s.buf) > MaxToken+1 {
			return nil, ErrTooLong
		}
		if err == nil {
			return s.buf[:len(s.buf)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// Next returns the next token; comments and declarations are skipped.
func (s *Scanner) Next() (Token, error) {
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return Token{}, err
		}
		if c != '<' {
			s.br.UnreadByte()
			text, err := s.readUntil('<')
			if err == io.ErrUnexpectedEOF && len(bytes.TrimSpace(text)) == 0 {
				return Token{}, io.EOF
			}
			if err != nil {
				return Token{}, err
			}
			s.br.UnreadByte()
			return Token{Kind: Text, Text: text}, nil
		}
		tag, err := s.readUntil('>')
		if err != nil {
			return Token{}, err
		}
		if len(tag) > 0 && (tag[0] == '!' || tag[0] == '?') {
			switch {
			case bytes.HasPrefix(tag, []byte("!--")):
				if !bytes.HasSuffix(tag, []byte("--")) || len(tag) < 5 {
					if err := s.skipPast("-->"); err != nil {
						return Token{}, err
					}
				}
			case bytes.HasPrefix(tag, []byte("![CDATA[")):
				text := append([]byte(nil), tag[len("![CDATA["):]...)
				for !bytes.HasSuffix(text, []byte("]]")) {
					more, err := s.readUntil('>')
					if err != nil {
						return Token{}, err
					}
					text = append(append(text, '>'), more...)
				}
				return Token{Kind: Text, Text: text[:len(text)-2], CDATA: true}, nil
			}
			continue
		}
		t := Token{Kind: Start}
		if len(tag) > 0 && tag[0] == '/' {
			t.Kind, tag = End, tag[1:]
		} else if len(tag) > 0 && tag[len(tag)-1] == '/' {
			t.Kind, tag = Empty, tag[:len(tag)-1]
		}
		end := 0
		for end < len(tag) && tag[end] > ' ' {
			end++
		}
		t.Name, t.Attrs = tag[:end], tag[end:]
		if i := bytes.IndexByte(t.Name, ':'); i >= 0 {
			t.Name = t.Name[i+1:]
		}
		return t, nil
	}
}

func (s *Scanner) skipPast(end string) error {
	_, err := s.readPast(end)
	return err
}

// readPast reads through the string end and returns what came before it.
func (s *Scanner) readPast(end string) ([]byte, error) {
	var acc []byte
	for {
		b, err := s.readUntil(end[len(end)-1])
		if err != nil {
			return nil, err
		}
		acc = append(acc, b...)
		acc = append(acc, end[len(end)-1])
		if bytes.HasSuffix(acc, []byte(end)) {
			return acc[:len(acc)-len(end)], nil
		}
	}
}

// AppendText appends a text Token's text, references resolved.
func (t Token) AppendText(dst []byte) []byte {
	if t.CDATA {
		return append(dst, t.Text...)
	}
	return AppendUnescaped(dst, t.Text)
}

// AppendUnescaped appends XML text with its entity and character references
// resolved.
func AppendUnescaped(dst, src []byte) []byte {
	for len(src) > 0 {
		amp := bytes.IndexByte(src, '&')
		if amp < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:amp]...)
		src = src[amp:]
		semi := bytes.IndexByte(src, ';')
		if semi < 0 || semi > 12 {
			dst = append(dst, '&')
			src = src[1:]
			continue
		}
		ent := string(src[1:semi])
		switch ent {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			var r int64
			var err error
			switch {
			case strings.HasPrefix(ent, "#x") || strings.HasPrefix(ent, "#X"):
				r, err = strconv.ParseInt(ent[2:], 16, 32)
			case strings.HasPrefix(ent, "#"):
				r, err = strconv.ParseInt(ent[1:], 10, 32)
			default:
				err = errors.New("unknown entity")
			}
			if err != nil || r < 0 || r > 0x10FFFF {
				dst = append(dst, src[:semi+1]...)
			} else {
				dst = append(dst, string(rune(r))...)
			}
		}
		src = src[semi+1:]
	}
	return dst
}
