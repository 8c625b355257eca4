package flexemp

// Roles of a token.
const (
	RoleCity     = "city"
	RoleReviewer = "reviewer"
)

// Principal is who a request acts for: a city bureau or a provincial
// reviewer, known by a token.
type Principal struct {
	TokenID  int64
	Role     string
	City     string // a city token's city code
	Reviewer string // a reviewer token's holder
}

// CanRead tells whether the principal may see a city's data: a reviewer
// every city's, a city its own.
func (p Principal) CanRead(city string) bool {
	return p.Role == RoleReviewer || p.Role == RoleCity && p.City == city
}

// Label names the principal in logs and the ledger, never with the token.
func (p Principal) Label() string {
	if p.Role == RoleCity {
		return "city:" + p.City
	}
	return "reviewer:" + p.Reviewer
}

// DisplayName is the principal as pages greet it.
func (p Principal) DisplayName() string {
	if p.Role == RoleCity {
		c, _ := CityByCode(p.City)
		return c.Name
	}
	return p.Reviewer + "（审核）"
}
