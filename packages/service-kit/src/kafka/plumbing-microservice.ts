import { type INestMicroservice, type LoggerService } from '@nestjs/common';
import { type IEntryNestModule } from '@nestjs/core';
import { NestFactory } from '@nestjs/core';
import { PlumbingExceptionFilter } from './plumbing-exception.filter.js';
import { PlumbingServer, type PlumbingServerOptions } from './plumbing.server.js';

/**
 * A Nest microservice whose `@EventPattern` handlers are fed by the plumbing: original errors reach the
 * failure classifier, and SIGTERM/SIGINT run a graceful close (stop fetching, finish, commit, leave).
 */
export async function createPlumbingMicroservice(
  module: IEntryNestModule,
  options: PlumbingServerOptions,
  nest: { logger?: LoggerService | false } = {},
): Promise<{ app: INestMicroservice; server: PlumbingServer }> {
  const server = new PlumbingServer(options);
  const app = await NestFactory.createMicroservice(module, { strategy: server, logger: nest.logger });
  app.useGlobalFilters(new PlumbingExceptionFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return { app, server };
}
