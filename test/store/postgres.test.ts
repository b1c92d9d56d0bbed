// The store conformance suite on a real PostgreSQL server started for this file.
import { skipWithoutServer } from '../../src/testing/local-servers.ts';
import { storeConformance } from './conformance.ts';
import { postgresBackend, postgresFixture } from './pg-backend.ts';

storeConformance(postgresBackend(postgresFixture(), skipWithoutServer('postgres')));
