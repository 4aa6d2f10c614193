// Package certstore reads and writes certificate records in the DynamoDB certificate table.
//
// The table's key schema lives here too (TableName-independent constants and CreateTableInput),
// so the infrastructure, the local stack and the tests create the same table.
package certstore
