package http

// Byte classes of RFC 9110 and RFC 3986, as tables so the parser's inner
// loops are one load and one branch per byte.
var (
	isToken     [256]bool // tchar (RFC 9110, section 5.6.2)
	isTargetOK  [256]bool // bytes allowed in a request-target
	isHostOK    [256]bool // reg-name and IP-literal bytes (RFC 3986)
	isFieldVal  [256]bool // field-vchar, SP and HTAB (RFC 9110, section 5.5)
	isHexDigit  [256]bool
	hexValue    [256]byte
	knownMethod = map[string]string{}
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
		isToken[c] = alnum || contains("!#$%&'*+-.^_`|~", b)
		// RFC 3986 unreserved, sub-delims, gen-delims that may appear in
		// a path or query, and '%' for escapes (checked separately).
		// Fragments are never sent, so '#' is refused.
		isTargetOK[c] = alnum || contains("-._~!$&'()*+,;=:@/?%", b)
		// Percent-escapes are legal in a reg-name but only ever seen in
		// attacks ("%00"), so a host is refused rather than decoded.
		isHostOK[c] = alnum || contains("-._~!$&'()*+,;=[]:", b)
		isFieldVal[c] = b == ' ' || b == '\t' || 0x21 <= b && b <= 0x7e || b >= 0x80
		switch {
		case '0' <= b && b <= '9':
			isHexDigit[c], hexValue[c] = true, b-'0'
		case 'a' <= b && b <= 'f':
			isHexDigit[c], hexValue[c] = true, b-'a'+10
		case 'A' <= b && b <= 'F':
			isHexDigit[c], hexValue[c] = true, b-'A'+10
		}
	}
	// Methods of RFC 9110 and RFC 5789 get interned strings, so parsing
	// them does not allocate.
	for _, m := range standardMethods {
		knownMethod[m] = m
	}
}

// standardMethods are the methods a ServeMux recognises; any other method
// token is answered 501 Not Implemented (RFC 9110, section 9.1).
var standardMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

func contains(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}
