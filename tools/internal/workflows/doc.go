// Package workflows pins the security properties of the GitHub Actions workflows under
// .github/workflows in tests, so that a change that weakens one fails `make test` as well as
// review. actionlint, run by `make lint`, checks their syntax and expressions; these tests
// check what actionlint cannot know: this project's rules for permissions, secrets, forks and
// deployments.
package workflows
