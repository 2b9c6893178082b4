module github.com/workflow-state/workflow_state/bindings/go

go 1.19
