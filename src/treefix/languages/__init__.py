"""Languages a project can be written in (see protocols.Language). Python is the first; a second
is one module here plus its grammar, test-file rule, traceback parser and test runner."""
