package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// renderer writes resources as indented text.
type renderer struct {
	// replacements are old, new pairs applied to every string, in order.
	replacements []string
}

func (r renderer) resource(b *strings.Builder, res Resource) {
	fmt.Fprintf(b, "%s  %s\n", res.Name, res.Type)
	parent := res.Parent
	if parent == "" {
		parent = "(stack)"
	}
	fmt.Fprintf(b, "  parent: %s\n", parent)

	var options []string
	if res.Protect {
		options = append(options, "protect")
	}
	if res.RetainOnDelete {
		options = append(options, "retainOnDelete")
	}
	if len(options) > 0 {
		fmt.Fprintf(b, "  options: %s\n", strings.Join(options, ", "))
	}
	if !res.Custom {
		return
	}
	if len(res.Inputs) == 0 {
		b.WriteString("  inputs: {}\n")
		return
	}
	b.WriteString("  inputs:\n")
	r.object(b, res.Inputs, 2)
}

// object writes the keys of m in sorted order.
func (r renderer) object(b *strings.Builder, m resource.PropertyMap, depth int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	for _, k := range keys {
		r.entry(b, strings.Repeat("  ", depth)+k+":", m[resource.PropertyKey(k)], depth)
	}
}

// entry writes one value after prefix: scalars on the same line, arrays and objects on the
// lines below.
func (r renderer) entry(b *strings.Builder, prefix string, v resource.PropertyValue, depth int) {
	switch {
	case v.IsSecret():
		fmt.Fprintf(b, "%s [secret]\n", prefix)
	case v.IsComputed():
		fmt.Fprintf(b, "%s <unknown>\n", prefix)
	case v.IsOutput():
		out := v.OutputValue()
		switch {
		case out.Secret:
			fmt.Fprintf(b, "%s [secret]\n", prefix)
		case !out.Known:
			fmt.Fprintf(b, "%s <unknown>\n", prefix)
		default:
			r.entry(b, prefix, out.Element, depth)
		}
	case v.IsAsset():
		a := v.AssetValue()
		switch {
		case a.IsPath():
			fmt.Fprintf(b, "%s file asset %s\n", prefix, r.replace(a.Path))
		default:
			fmt.Fprintf(b, "%s asset sha256:%s\n", prefix, a.Hash)
		}
	case v.IsString():
		r.str(b, prefix, v.StringValue(), depth)
	case v.IsArray() && len(v.ArrayValue()) == 0:
		fmt.Fprintf(b, "%s []\n", prefix)
	case v.IsObject() && len(v.ObjectValue()) == 0:
		fmt.Fprintf(b, "%s {}\n", prefix)
	case v.IsArray() || v.IsObject():
		fmt.Fprintf(b, "%s\n", prefix)
		r.children(b, v, depth+1)
	case v.IsResourceReference():
		fmt.Fprintf(b, "%s resource %s\n", prefix, v.ResourceReferenceValue().URN.Name())
	case v.IsNull():
		fmt.Fprintf(b, "%s null\n", prefix)
	default:
		fmt.Fprintf(b, "%s %v\n", prefix, v.V)
	}
}

// children writes the items of an array or the keys of an object at depth.
func (r renderer) children(b *strings.Builder, v resource.PropertyValue, depth int) {
	if v.IsObject() {
		r.object(b, v.ObjectValue(), depth)
		return
	}
	for _, item := range v.ArrayValue() {
		r.entry(b, strings.Repeat("  ", depth)+"-", item, depth)
	}
}

// str writes a string. A JSON document, such as a policy, is expanded so that a change to
// one statement shows as a change to one line.
func (r renderer) str(b *strings.Builder, prefix, s string, depth int) {
	s = r.replace(s)
	trimmed := strings.TrimSpace(s)
	if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
		var doc any
		if err := json.Unmarshal([]byte(trimmed), &doc); err == nil {
			fmt.Fprintf(b, "%s (json)\n", prefix)
			r.children(b, resource.NewPropertyValue(doc), depth+1)
			return
		}
	}
	fmt.Fprintf(b, "%s %s\n", prefix, strconv.Quote(s))
}

func (r renderer) replace(s string) string {
	for i := 0; i+1 < len(r.replacements); i += 2 {
		if r.replacements[i] != "" {
			s = strings.ReplaceAll(s, r.replacements[i], r.replacements[i+1])
		}
	}
	return s
}
