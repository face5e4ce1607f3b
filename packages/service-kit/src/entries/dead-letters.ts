// @rxbridge/service-kit/dead-letters: list, inspect and replay a group's dead letters. The caller hands in the
// Kafka client, so this loads no kafkajs (its types only) and no Nest: a tool can name REPLAYED_FROM_HEADER in
// its help text at no cost. The services keep using the main entry.
export {
  listDeadLetters,
  inspectDeadLetter,
  replayDeadLetter,
  REPLAYED_FROM_HEADER,
  type DeadLetter,
  type DeadLetterSummary,
  type DeadLetterAddress,
} from '../dead-letters/dead-letters.js';
