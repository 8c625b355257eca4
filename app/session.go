package app

import (
	"context"

	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/store"
)

// Session is one command's use of the configured database: inside serve
// the service's own store, issuer and settings; else what the command opens
// of the file, which Close closes. Either way every write goes through a
// store, and its audit trail.
type Session struct {
	Config Config
	svc    *Service
	store  *store.Store
}

// NewSession is a command's session on cfg's database, inside the serve
// process when ctx runs in one.
func NewSession(ctx context.Context, cfg Config) *Session {
	return &Session{Config: cfg, svc: Held(ctx)}
}

// Held is the serve process the command runs inside, or nil.
func (s *Session) Held() *Service { return s.svc }

// Assess are the assessment settings: serve's, else the configured ones.
func (s *Session) Assess() (metrics.AssessOptions, error) {
	if s.svc != nil {
		return s.svc.Assess, nil
	}
	return s.Config.AssessOptions()
}

// Store is the store over the database; create makes the file when there is
// none (the first token may come before the first upload).
func (s *Session) Store(ctx context.Context, create bool) (*store.Store, error) {
	switch {
	case s.svc != nil:
		return s.svc.Store, nil
	case s.store != nil:
		return s.store, nil
	}
	open := s.Config.OpenExisting
	if create {
		open = s.Config.Open
	}
	db, err := open(ctx)
	if err != nil {
		return nil, err
	}
	s.store = store.New(db, nil, metrics.AssessOptions{})
	return s.store, nil
}

// Ingesting is the store with an ingester, the key made for a database that
// has none, and the assessment settings.
func (s *Session) Ingesting(ctx context.Context) (*store.Store, error) {
	st, _, err := s.ingesting(ctx)
	return st, err
}

func (s *Session) ingesting(ctx context.Context) (*store.Store, metrics.AssessOptions, error) {
	if s.svc != nil {
		return s.svc.Store, s.svc.Assess, nil
	}
	o, err := s.Config.AssessOptions()
	if err != nil {
		return nil, o, err
	}
	db, g, err := s.Config.OpenIngest(ctx)
	if err != nil {
		return nil, o, err
	}
	s.Close()
	s.store = store.New(db, g, o)
	return s.store, o, nil
}

// Issuer issues rankings: serve's, else one over the database, mailing
// through the configured SMTP server.
func (s *Session) Issuer(ctx context.Context) (*issuing.Issuer, error) {
	if s.svc != nil {
		return s.svc.Issuer, nil
	}
	st, o, err := s.ingesting(ctx)
	if err != nil {
		return nil, err
	}
	return s.Config.Issuer(st, o, nil), nil
}

// Dispatcher dispatches: serve's, else one over the database with the
// configured tables and thresholds.
func (s *Session) Dispatcher(ctx context.Context) (*dispatch.Dispatcher, error) {
	if s.svc != nil {
		return s.svc.Dispatcher, nil
	}
	o, err := s.Config.AssessOptions()
	if err != nil {
		return nil, err
	}
	st, err := s.Store(ctx, false)
	if err != nil {
		return nil, err
	}
	return s.Config.Dispatcher(st, o)
}

// Close closes what the session opened, and leaves serve's alone.
func (s *Session) Close() error {
	if s.store == nil {
		return nil
	}
	err := s.store.Close()
	s.store = nil
	return err
}
