import ArgumentParser

struct HashscopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hashscope",
        abstract: "Look inside deep-hashing image retrieval.",
        subcommands: [DataCommand.self, IndexCommand.self, BenchCommand.self, MetricsCommand.self,
                      TrainCommand.self, EvalCommand.self, ForwardCommand.self, SearchCommand.self, RobustnessCommand.self,
                      TUICommand.self, ImportCommand.self, ClassifyCommand.self, ModelsCommand.self],
        defaultSubcommand: TUICommand.self)
}
