export { LOCAL_DATABASE_URL, LOCAL_KAFKA_BROKERS, brokers, databaseUrl } from './local-stack.js';
export { uniqueIdentifier, uniqueSuffix } from './unique-name.js';
export { DEFAULT_WAIT_TIMEOUT_MS, waitFor, type WaitForOptions } from './wait-for.js';
export {
  createTestDatabase,
  createTestSchema,
  type TestDatabase,
  type TestDatabaseOptions,
  type TestSchema,
} from './test-database.js';
export {
  createTopics,
  deleteGroups,
  deleteTopics,
  kafkaClient,
  startGroupAtEnd,
  uniqueTopicName,
  type CommittedOffset,
  type TestTopic,
} from './test-kafka.js';
export { requestJson, requestJsonOk, type JsonAnswer, type JsonRequest } from './http-json.js';
export {
  INVENTED_PATIENT,
  INVENTED_PATIENTS,
  INVENTED_PERSON_MARKERS,
  SECOND_INVENTED_PATIENT,
  rxscaleAddress,
  rxscalePatientData,
  type InventedPerson,
} from './invented-people.js';
export { isProcessAlive } from './process-alive.js';
export { freePort, isPortFree } from './free-port.js';
