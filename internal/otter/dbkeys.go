package otter

// Keys of otter.properties holding the manager's database account (beside
// KeyDBURL): the entrypoint logs in with them to check and prepare the
// database.
const (
	KeyDBUser     = "otter.database.driver.username"
	KeyDBPassword = "otter.database.driver.password"
)
