// Package app is flexemp as an operator configures and runs it: the
// configuration (flexemp.toml), the database file it names with its key's
// custody, and the serve process over that file (Service), which the other
// commands reach through its admin socket while it holds the file.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/issuing"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/server"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// Config is flexemp.toml: each section is its package's own options, whose
// zero values take that package's defaults, so no config file is needed to
// run and no default is stated twice.
type Config struct {
	DB        string                `toml:"db"`          // the DuckDB file; default flexemp.db
	IDKeyFile string                `toml:"id_key_file"` // the pseudonym key; default <db>.key; FLEXEMP_ID_KEY wins
	Ingest    ingest.Options        `toml:"ingest"`
	DuckDB    transform.Settings    `toml:"duckdb"`
	Assess    metrics.AssessOptions `toml:"assess"`
	Integrity transform.Integrity   `toml:"integrity"`
	Server    struct {
		server.Options
		Listen  string `toml:"listen"`   // default 127.0.0.1:8080
		TLSCert string `toml:"tls_cert"` // serve HTTPS with these; session cookies are then Secure
		TLSKey  string `toml:"tls_key"`
	} `toml:"server"`
	Schedules schedules.Options      `toml:"schedules"`
	Mail      schedules.MailConfig   `toml:"mail"`
	Notify    schedules.NotifyConfig `toml:"notify"` // group-robot webhooks besides mail
	// Publication are the rules of issuing a ranking.
	Publication struct {
		ObjectionDays int `toml:"objection_days"` // the objection window in working days; default 5
	} `toml:"publication"`
	// Dispatch are the dispatch's status thresholds.
	Dispatch dispatch.Settings `toml:"dispatch"`
	// Reference names operator copies of the reference tables, relative to
	// the config file; empty keeps the embedded ones.
	Reference flexemp.ReferenceFiles `toml:"reference"`

	// Notices is where the operator is told what to know besides a
	// command's output (a new database, a folder others can enter);
	// default stderr.
	Notices io.Writer `toml:"-"`
}

// Default is the configuration without a file.
func Default() Config {
	var c Config
	c.DB = "flexemp.db"
	c.Server.Listen = "127.0.0.1:8080"
	return c
}

// Load reads path over the defaults; an empty path reads ./flexemp.toml
// when there is one. Reference files are relative to the config file.
func Load(path string) (Config, error) {
	c := Default()
	explicit := path != ""
	if !explicit {
		path = "flexemp.toml"
	}
	md, err := toml.DecodeFile(path, &c)
	switch {
	case err == nil:
		if und := md.Undecoded(); len(und) > 0 {
			return c, fmt.Errorf("%s：未知的设置项 %v", path, und)
		}
		if err := errors.Join(c.Mail.Validate(), c.Notify.Validate(), c.Dispatch.Validate()); err != nil {
			return c, fmt.Errorf("%s：%w", path, err)
		}
		// The SMTP password is a secret: not in a file other users can read.
		if fi, err := os.Stat(path); err == nil && c.Mail.Password != "" && fi.Mode().Perm()&0o044 != 0 {
			return c, fmt.Errorf("%s 含邮件密码（[mail] password），但其他用户可读（权限 %04o）：请执行 chmod 600 %s，或删去该项、改用环境变量 FLEXEMP_MAIL_PASSWORD",
				path, fi.Mode().Perm(), path)
		}
		dir := filepath.Dir(path)
		for _, p := range []*string{&c.Reference.Cities, &c.Reference.Population, &c.Reference.Holidays, &c.Reference.MinWage, &c.Reference.Funds, &c.Reference.Counties, &c.Reference.Targets, &c.Reference.Regions} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	case !explicit && errors.Is(err, fs.ErrNotExist):
	default:
		return c, fmt.Errorf("config: %w", err)
	}
	if p := os.Getenv("FLEXEMP_MAIL_PASSWORD"); p != "" {
		c.Mail.Password = p // kept out of files altogether
	}
	return c, nil
}

// AssessOptions are the configured assessment settings, with the reference
// data read from the configured files.
func (c Config) AssessOptions() (metrics.AssessOptions, error) {
	o := c.Assess
	o.Integrity = c.Integrity
	if err := o.Settings.Validate(); err != nil {
		return o, fmt.Errorf("config [assess]: %w", err)
	}
	ref, err := flexemp.LoadReference(c.Reference)
	if err != nil {
		return o, fmt.Errorf("config [reference]: %w", err)
	}
	o.Reference = ref
	return o, nil
}

// Dispatcher dispatches over st with the configured thresholds and o's
// reference tables (the targets and regions among them).
func (c Config) Dispatcher(st *store.Store, o metrics.AssessOptions) (*dispatch.Dispatcher, error) {
	if err := c.Dispatch.Validate(); err != nil {
		return nil, fmt.Errorf("config %w", err)
	}
	return &dispatch.Dispatcher{Store: st, Reference: o.Reference, Settings: c.Dispatch, Now: o.Now}, nil
}

// File is the configured database with its key's custody.
func (c Config) File() store.File {
	return store.File{Path: c.DB, KeyFile: c.IDKeyFile, KeyEnv: os.Getenv("FLEXEMP_ID_KEY"), DuckDB: c.DuckDB, Notices: c.Notices}
}

// OpenExisting opens the configured database, refusing one that does not
// exist.
func (c Config) OpenExisting(ctx context.Context) (*sql.DB, error) { return c.File().OpenExisting(ctx) }

// OpenIngest opens (creating and migrating) the configured database with an
// ingester over it, making a key for a database that has never had one.
func (c Config) OpenIngest(ctx context.Context) (*sql.DB, *ingest.Ingester, error) {
	db, key, err := c.File().Open(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	return db, &ingest.Ingester{DB: db, Key: key, Options: c.Ingest}, nil
}

// Issuer is the configured issuer over a store, mailing through env (nil:
// a mailer of the configured SMTP server, if any).
func (c Config) Issuer(st *store.Store, o metrics.AssessOptions, env *schedules.Env) *issuing.Issuer {
	if env == nil {
		env = &schedules.Env{Store: st, Now: time.Now, Mailer: &schedules.Mailer{Config: c.Mail, Store: st, Now: time.Now}}
	}
	return &issuing.Issuer{Store: st, Holidays: o.Reference.Holidays, ObjectionDays: c.Publication.ObjectionDays, Notify: env}
}

// Open opens (creating and migrating) the configured database, its key held
// to its fingerprint.
func (c Config) Open(ctx context.Context) (*sql.DB, error) {
	db, _, err := c.File().Open(ctx, false)
	return db, err
}
