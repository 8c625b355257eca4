package schedules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/store"
)

// MailConfig is the SMTP server and who gets what.
type MailConfig struct {
	Host     string              `toml:"host"`     // empty: no mail is sent, and the jobs say so
	Port     int                 `toml:"port"`     // default 587, 465 for tls, 25 for none
	TLS      string              `toml:"tls"`      // starttls (default), tls or none
	Username string              `toml:"username"` // with password: SMTP AUTH
	Password string              `toml:"password"`
	From     string              `toml:"from"`     // e.g. 灵活就业考核 <flexemp@hrss.ln.gov.cn>
	Province []string            `toml:"province"` // the province's recipients: the summary
	Cities   map[string][]string `toml:"cities"`   // city code → its contacts: their scorecard, reminders
	// Link is the system's web address (e.g. https://flexemp.hrss.ln.gov.cn/):
	// every mail ends with it, so a reader can go from the mail to the system.
	Link string `toml:"link"`
}

// Part is a file in a message: an attachment, or an image the HTML shows
// by its content ID (cid:Name).
type Part struct {
	Name        string
	ContentType string
	Data        []byte
}

// Outgoing is one message to one recipient. Key names what is sent (the
// same key and recipient is the same delivery, sent at most once).
type Outgoing struct {
	Key         string
	To          string
	Subject     string
	Text, HTML  string
	Inline      []Part
	Attachments []Part
}

// Mailer sends messages and records each delivery before and after sending,
// so a retry never drops one and never re-sends one recorded as sent. Only
// a crash between the server's acceptance and the record can repeat a
// message, once, with the same Message-ID.
type Mailer struct {
	Config  MailConfig
	Store   *store.Store // deliveries are recorded through it
	Now     func() time.Time
	Sleep   func(time.Duration) // between attempts; default time.Sleep
	Retries int                 // attempts per delivery and run; default 3
	// AfterAccept, if set, runs after the server accepted a message and
	// before it is recorded as sent: tests use it to crash there.
	AfterAccept func(messageID string) error
}

// MessageID is the stable Message-ID of a delivery.
func MessageID(key, to string) string {
	sum := sha256.Sum256([]byte(key + "\x00" + strings.ToLower(to)))
	return hex.EncodeToString(sum[:16]) + "@flexemp"
}

// DeliveryReport is what a Send did.
type DeliveryReport struct {
	Sent, AlreadySent, Failed int
	Errors                    []string
}

// Send delivers every message not yet recorded as sent.
func (m *Mailer) Send(ctx context.Context, msgs []Outgoing) (DeliveryReport, error) {
	var r DeliveryReport
	if m.Config.Host == "" {
		return r, errors.New("no SMTP server configured ([mail] host)")
	}
	retries := m.Retries
	if retries == 0 {
		retries = 3
	}
	sleep := m.Sleep
	if sleep == nil {
		sleep = time.Sleep
	}
	for _, o := range msgs {
		id := MessageID(o.Key, o.To)
		status, err := m.record(ctx, o, id)
		if err != nil {
			return r, err
		}
		if status == "sent" {
			r.AlreadySent++
			continue
		}
		var sendErr error
		for attempt := 1; attempt <= retries; attempt++ {
			if sendErr = m.sendOne(ctx, o, id); sendErr == nil {
				break
			}
			m.exec(ctx, `UPDATE mail_deliveries SET attempts = attempts + 1, last_error = ?, status = 'failed' WHERE message_id = ?`,
				sendErr.Error(), id)
			if attempt < retries {
				sleep(time.Duration(1<<(attempt-1)) * time.Second)
			}
		}
		if sendErr != nil {
			r.Failed++
			r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", o.To, sendErr))
			continue
		}
		if m.AfterAccept != nil {
			if err := m.AfterAccept(id); err != nil {
				return r, err
			}
		}
		if err := m.exec(ctx, `UPDATE mail_deliveries SET attempts = attempts + 1, status = 'sent', last_error = '', sent_at = ? WHERE message_id = ?`,
			m.Now(), id); err != nil {
			return r, err
		}
		r.Sent++
	}
	return r, nil
}

// record notes a delivery before it is sent and returns its status.
func (m *Mailer) record(ctx context.Context, o Outgoing, id string) (string, error) {
	var status string
	err := m.Store.Write(func() error {
		err := m.Store.DB().QueryRowContext(ctx, `SELECT status FROM mail_deliveries WHERE message_id = ?`, id).Scan(&status)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		status = "pending"
		_, err = m.Store.DB().ExecContext(ctx, `INSERT INTO mail_deliveries (delivery_id, mail_key, recipient, message_id, subject, status, created_at)
			SELECT coalesce(max(delivery_id), 0) + 1, ?, ?, ?, ?, 'pending', ? FROM mail_deliveries`, o.Key, o.To, id, o.Subject, m.Now())
		return err
	})
	return status, err
}

func (m *Mailer) exec(ctx context.Context, query string, args ...any) error {
	return m.Store.Write(func() error {
		_, err := m.Store.DB().ExecContext(ctx, query, args...)
		return err
	})
}

func (m *Mailer) sendOne(ctx context.Context, o Outgoing, id string) error {
	msg := mail.NewMsg()
	if err := msg.From(m.Config.From); err != nil {
		return fmt.Errorf("from %q: %w", m.Config.From, err)
	}
	if err := msg.To(o.To); err != nil {
		return fmt.Errorf("to %q: %w", o.To, err)
	}
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(m.Now())
	msg.Subject(o.Subject)
	msg.SetBodyString(mail.TypeTextPlain, o.Text)
	if o.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, o.HTML)
	}
	for _, p := range o.Inline {
		if err := msg.EmbedReader(p.Name, bytes.NewReader(p.Data), mail.WithFileContentType(mail.ContentType(p.ContentType)),
			mail.WithFileContentID("<"+p.Name+">")); err != nil {
			return err
		}
	}
	for _, p := range o.Attachments {
		if err := msg.AttachReader(p.Name, bytes.NewReader(p.Data), mail.WithFileContentType(mail.ContentType(p.ContentType))); err != nil {
			return err
		}
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

func (m *Mailer) client() (*mail.Client, error) {
	cfg := m.Config
	opts := []mail.Option{mail.WithTimeout(30 * time.Second)}
	switch cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL(), mail.WithPort(portOr(cfg.Port, 465)))
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS), mail.WithPort(portOr(cfg.Port, 25)))
	case "", "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithPort(portOr(cfg.Port, 587)))
	default:
		return nil, fmt.Errorf("[mail] tls %q: want starttls, tls or none", cfg.TLS)
	}
	if cfg.Username != "" {
		auth := mail.SMTPAuthPlain
		if cfg.TLS == "none" {
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	return mail.NewClient(cfg.Host, opts...)
}

// Validate checks the mail settings when the config loads, not at the
// first send: the TLS mode, a sender, the addresses, and city codes (not
// names) under [mail.cities].
func (cfg MailConfig) Validate() error {
	switch cfg.TLS {
	case "", "starttls", "tls", "none":
	default:
		return fmt.Errorf("[mail] tls = %q：应为 starttls、tls 或 none", cfg.TLS)
	}
	if cfg.Link != "" {
		u, err := url.Parse(cfg.Link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("[mail] link = %q：应为考核系统的网址，如 https://flexemp.example.gov.cn/", cfg.Link)
		}
	}
	if cfg.Host == "" {
		return nil
	}
	if cfg.From == "" {
		return errors.New("[mail] 缺少发件人 from，如 from = \"灵活就业考核 <flexemp@example.gov.cn>\"")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return fmt.Errorf("[mail] from = %q 不是有效的邮件地址", cfg.From)
	}
	check := func(where string, addrs []string) error {
		for _, a := range addrs {
			if err := mail.NewMsg().To(a); err != nil {
				return fmt.Errorf("[mail] %s 中的 %q 不是有效的邮件地址", where, a)
			}
		}
		return nil
	}
	if err := check("province", cfg.Province); err != nil {
		return err
	}
	for code, addrs := range cfg.Cities {
		if _, ok := flexemp.CityByCode(code); !ok {
			hint := ""
			if c, ok := flexemp.ResolveCity(code); ok {
				hint = fmt.Sprintf("（%s 的代码是 %s）", c.Name, c.Code)
			}
			return fmt.Errorf("[mail.cities] 的键应为城市代码，%q 不是%s", code, hint)
		}
		if err := check("cities."+code, addrs); err != nil {
			return err
		}
	}
	return nil
}

func portOr(p, d int) int {
	if p == 0 {
		return d
	}
	return p
}
