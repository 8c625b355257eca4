package server

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

const sessionCookie = "flexemp_session"

type session struct {
	principal flexemp.Principal
	csrf      string
	expires   time.Time
}

// api authenticates an API request by its bearer token: 401 without a live
// token.
func (s *Server) api(h func(http.ResponseWriter, *http.Request, flexemp.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="flexemp"`)
			writeAPIError(w, http.StatusUnauthorized, "unauthorized", "缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌")
			return
		}
		p, found, err := s.store.LookupToken(r.Context(), strings.TrimSpace(token))
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !found {
			w.Header().Set("WWW-Authenticate", `Bearer realm="flexemp", error="invalid_token"`)
			writeAPIError(w, http.StatusUnauthorized, "unauthorized", "访问令牌无效或已被吊销")
			return
		}
		noteWho(r, p)
		h(w, r, p)
	}
}

// page authenticates a page request by its session cookie, sending the
// visitor to log in when there is none, and checks the CSRF token of every
// form it receives. Only a handler that streams a multipart upload, and
// checks its CSRF part itself (streamed), takes a multipart form.
func (s *Server) page(h func(http.ResponseWriter, *http.Request, *session), streamed ...bool) http.HandlerFunc {
	takesMultipart := len(streamed) > 0 && streamed[0]
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.sessionOf(r)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.pageError(w, r, nil, http.StatusUnauthorized, "登录已失效，请重新登录。")
			return
		}
		noteWho(r, sess.principal)
		// A form's CSRF token is its csrf field; an upload, read as a stream by
		// its handler, must send it as its first part.
		multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/")
		if r.Method == http.MethodPost && multipart && !takesMultipart {
			s.csrfRefused(w, r, sess)
			return
		}
		if r.Method == http.MethodPost && !multipart {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if !validCSRF(sess, r.PostFormValue("csrf")) {
				s.csrfRefused(w, r, sess)
				return
			}
		}
		h(w, r, sess)
	}
}

func (s *Server) csrfRefused(w http.ResponseWriter, r *http.Request, sess *session) {
	s.pageError(w, r, sess, http.StatusForbidden, csrfMessage)
}

const csrfMessage = "表单校验失败（CSRF），请刷新页面后重试。"

func validCSRF(sess *session, got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// sessionOf is the request's live session, or nil: none, expired, or
// opened with a token revoked since (the CLI, the admin socket or another
// process may revoke it at any time, so the token is checked on every
// request and the session ended with it).
func (s *Server) sessionOf(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	s.sessionsMu.Lock()
	sess := s.sessions[c.Value]
	if sess != nil && s.opt.Now().After(sess.expires) {
		delete(s.sessions, c.Value)
		sess = nil
	}
	s.sessionsMu.Unlock()
	if sess == nil {
		return nil, nil
	}
	live, err := s.store.TokenLive(r.Context(), sess.principal.TokenID)
	if err != nil || live {
		return sess, err
	}
	s.sessionsMu.Lock()
	delete(s.sessions, c.Value)
	s.sessionsMu.Unlock()
	return nil, nil
}

// startSession logs a principal in: a new session id in an HttpOnly,
// SameSite=Strict cookie, Secure over TLS.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, p flexemp.Principal) {
	id := randomID()
	now := s.opt.Now()
	s.sessionsMu.Lock()
	for k, v := range s.sessions {
		if now.After(v.expires) {
			delete(s.sessions, k)
		}
	}
	s.sessions[id] = &session{principal: p, csrf: randomID(), expires: now.Add(s.opt.sessionTTL())}
	s.sessionsMu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(s.opt.sessionTTL().Seconds())})
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessionsMu.Lock()
		delete(s.sessions, c.Value)
		s.sessionsMu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: -1})
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("internal error", "route", r.URL.Path, "err", err)
	writeAPIError(w, http.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试或联系管理员")
}
