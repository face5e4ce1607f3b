import { allTopics, ConsumerGroups, deadLetterTopic, Topics } from '../src/index.js';

describe('topic catalog', () => {
  it('names every topic domain.entity.vN, and DLQs <group>.dlq', () => {
    for (const t of Object.values(Topics)) expect(t.name).toMatch(/^[a-z]+\.[a-z-]+\.v\d+$/);
    expect(deadLetterTopic(ConsumerGroups.orderService).name).toBe('order-service.dlq');
  });

  it('lists each topic once, with a DLQ for every consumer group', () => {
    const names = allTopics().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const g of Object.values(ConsumerGroups)) expect(names).toContain(`${g}.dlq`);
  });
});
