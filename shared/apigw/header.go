package apigw

import "strings"

// Header returns the value of the request header name from the headers of a payload format
// 2.0 event, and whether it is present. API Gateway lowercases header names in these events
// and joins repeated headers with commas. The lookup also ignores case, so that events built
// by hand or by other gateways work too.
func Header(headers map[string]string, name string) (string, bool) {
	if v, ok := headers[strings.ToLower(name)]; ok {
		return v, true
	}
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}
