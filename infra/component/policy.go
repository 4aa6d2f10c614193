package component

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PolicyDocument is an IAM policy document. The components build every policy from these
// values and marshal them, so no policy is a hand-written JSON string.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument.
type Statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// policyVersion is the current IAM policy language version.
const policyVersion = "2012-10-17"

// marshalPolicy returns the JSON of the document build makes once every output in inputs is
// known. build receives the resolved strings in the order of inputs.
func marshalPolicy(build func(values []string) PolicyDocument, inputs ...pulumi.StringInput) pulumi.StringOutput {
	anys := make([]any, len(inputs))
	for i, in := range inputs {
		anys[i] = in
	}
	return pulumi.All(anys...).ApplyT(func(resolved []any) (string, error) {
		values := make([]string, len(resolved))
		for i, v := range resolved {
			values[i] = v.(string)
		}
		doc := build(values)
		doc.Version = policyVersion
		out, err := json.Marshal(doc)
		if err != nil {
			return "", fmt.Errorf("marshal policy: %w", err)
		}
		return string(out), nil
	}).(pulumi.StringOutput)
}
