import BuiltInSagas
import SagaWire
import Testing
@testable import SagaCore

/// Definitions compile to a graph: version 1 to a chain (each step after the one before it in
/// the file) plus the completion group; a node's index is its place in the file.
@Suite struct SagaGraphTests {
    @Test func theOrderSagaIsAChainOfItsStepsInFileOrder() {
        let graph = SagaDefinition.order.graph
        #expect(graph.nodes.map(\.index) == [0, 1, 2, 3])
        #expect(graph.nodes.map(\.step.name) == SagaDefinition.order.steps.map(\.name))
        #expect(graph.roots == [0])
        #expect(graph.nodes.map(\.predecessors) == [[], [0], [1], [2]])
        #expect(graph.nodes.map(\.successors) == [[1], [2], [3], []])
        #expect(graph.nodes.map(\.descendants) == [[1, 2, 3], [2, 3], [3], []])
        #expect(graph.compensable == [0, 1, 2, 3])
        #expect(graph.completions.map(\.name) == ["confirm_order", "commit_reservation"])
        #expect(graph.services == ["order", "inventory", "payment", "shipping"])
    }

    @Test func aSuccessReadiesTheNodesWaitingOnlyForIt() {
        let graph = SagaDefinition.order.graph
        #expect(graph.readyAfter(0, succeeded: []) == [1])
        #expect(graph.readyAfter(3, succeeded: [0, 1, 2]) == [])
        // A graph where a node waits for two: it is ready only after both.
        let step = SagaDefinition.order.steps[0]
        let join = SagaGraph(steps: [step, step, step, step], predecessors: [[], [0], [0], [1, 2]], completions: [])
        #expect(join.roots == [0])
        #expect(join.readyAfter(0, succeeded: []) == [1, 2])
        #expect(join.readyAfter(1, succeeded: [0]) == [])
        #expect(join.readyAfter(2, succeeded: [0, 1]) == [3])
        #expect(join.nodes[0].descendants == [1, 2, 3])
    }

    @Test func nodeSetsAreSmallSets() {
        var set: NodeSet = [5, 0, 63]
        #expect(Array(set) == [0, 5, 63] && set.count == 3 && set.highest == 63)
        set.remove(63)
        set.insert(2)
        #expect(Array(set) == [0, 2, 5] && set.contains(2) && !set.contains(63) && !set.contains(-1) && !set.contains(64))
        #expect(NodeSet.all(3) == [0, 1, 2] && NodeSet.all(64).count == 64 && NodeSet.all(0).isEmpty)
        #expect(set.union([1]) == [0, 1, 2, 5] && set.subtracting([0, 5]) == [2] && set.intersection([2, 9]) == [2])
        #expect(NodeSet([1]).isSubset(of: set.union([1])) && !NodeSet([9]).isSubset(of: set))
        #expect(NodeSet().highest == nil && set.description == "[0, 2, 5]")
    }
}
