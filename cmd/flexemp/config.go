package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/schedules"
	"github.com/liaoning-hrss/flexemp/server"
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
	Schedules schedules.Options    `toml:"schedules"`
	Mail      schedules.MailConfig `toml:"mail"`
	// Publication are the rules of issuing a ranking.
	Publication struct {
		ObjectionDays int `toml:"objection_days"` // the objection window in working days; default 5
	} `toml:"publication"`
	// Reference names operator copies of the reference tables, relative to
	// the config file; empty keeps the embedded ones.
	Reference flexemp.ReferenceFiles `toml:"reference"`
}

// assessOptions are the configured assessment settings, with the reference
// data read from the configured files.
func (c Config) assessOptions() (metrics.AssessOptions, error) {
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

// notices is where a command says what the operator should know besides
// its output (stderr).
var notices io.Writer = os.Stderr

func defaultConfig() Config {
	var c Config
	c.DB = "flexemp.db"
	c.Server.Listen = "127.0.0.1:8080"
	return c
}

// loadConfig reads path over the defaults; an empty path reads ./flexemp.toml
// when there is one.
func loadConfig(path string) (Config, error) {
	c := defaultConfig()
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
		if err := c.Mail.Validate(); err != nil {
			return c, fmt.Errorf("%s：%w", path, err)
		}
		dir := filepath.Dir(path)
		for _, p := range []*string{&c.Reference.Cities, &c.Reference.Population, &c.Reference.Holidays, &c.Reference.MinWage, &c.Reference.Funds} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	case !explicit && errors.Is(err, fs.ErrNotExist):
	default:
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}
